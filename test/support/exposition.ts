/** Parses Prometheus text exposition into sample -> value, for comparing with expectations. */
export type Samples = Map<string, string>;

export function parseSamples(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const cut = line.lastIndexOf(" ");
    samples.set(line.slice(0, cut), line.slice(cut + 1));
  }
  return samples;
}

/** Only the kymaros_* domain families (not the service's own kymaros_api_* metrics). */
export function domainSamples(text: string): Samples {
  return new Map(
    [...parseSamples(text)].filter(([k]) => k.startsWith("kymaros_") && !k.startsWith("kymaros_api_")),
  );
}

export function labelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
