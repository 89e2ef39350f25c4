/** The service's version: package.json's, read once (from the sources or from dist/). */
import { readFileSync } from "node:fs";

function read(): string {
  for (const path of ["../../../package.json", "../../../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "kymaros-api" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // Not there from this layout: try the next.
    }
  }
  return "unknown";
}

export const VERSION = read();
