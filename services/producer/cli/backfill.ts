#!/usr/bin/env node
/** kymaros-backfill: see backfill-command.ts, or run it with --help. */
import { runBackfill } from "./backfill-command.ts";
import { processIo } from "./common.ts";

process.exitCode = await runBackfill(process.argv.slice(2), processIo());
