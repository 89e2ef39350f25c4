/** A bad setting: the start stops with a message that names it. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(`${setting}: ${problem}`);
  }
}

export type Env = Readonly<Record<string, string | undefined>>;
