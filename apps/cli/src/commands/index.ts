/**
 * Every subcommand, in the order `mechint --help` lists them.
 */
import type { Command } from '../cli/command.js';
import { alignCommand } from './align.js';
import { attributeCommand } from './attribute.js';
import { cacheCommand } from './cache.js';
import { demoCommand } from './demo.js';
import { fractalCommand } from './fractal.js';
import { inspectCommand } from './inspect.js';
import { patchCommand } from './patch.js';
import { saeCommand } from './sae.js';
import { spikesCommand } from './spikes.js';
import { topologyCommand } from './topology.js';

/** The subcommands of `mechint`. */
export const COMMANDS: readonly Command[] = [demoCommand, inspectCommand, cacheCommand, patchCommand, attributeCommand, saeCommand, fractalCommand, alignCommand, topologyCommand, spikesCommand];
