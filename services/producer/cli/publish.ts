#!/usr/bin/env node
/** kymaros-publish: see publish-command.ts, or run it with --help. */
import { processIo } from "./common.ts";
import { runPublish } from "./publish-command.ts";

process.exitCode = await runPublish(process.argv.slice(2), processIo());
