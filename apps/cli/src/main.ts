#!/usr/bin/env node
/**
 * The `mechint` executable: runs the command line on the process's arguments; Ctrl-C aborts the
 * running command (exit code 130).
 */
import { main } from './cli/run.js';

const controller = new AbortController();
process.once('SIGINT', () => controller.abort(new Error('interrupted')));
process.exitCode = await main(process.argv.slice(2), { signal: controller.signal });
