/**
 * Outputs are collected in memory and written only when the whole command succeeded: each file
 * goes to a temporary name beside its target and is renamed over it, so a run that fails half-way
 * leaves nothing in `--out`.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { MechintError, toJson, writeNpy, type Tensor } from '@mechint/core';
import { svgToPng, type PngConverter } from '../figures/png.js';

/** Files a command will write, committed together at the end. */
export class OutputSet {
  readonly #files = new Map<string, Uint8Array | string>();
  readonly #cwd: string;
  readonly #png: PngConverter | undefined;

  /** `png`: also write each figure as PNG with this converter. */
  constructor(cwd: string, png?: PngConverter) {
    this.#cwd = cwd;
    this.#png = png;
  }

  /** Adds a file (path relative to the working directory, or absolute). */
  add(path: string, contents: Uint8Array | string): string {
    const full = resolve(this.#cwd, path);
    this.#files.set(full, contents);
    return full;
  }

  /** Adds `name` inside folder `dir`. */
  addIn(dir: string, name: string, contents: Uint8Array | string): string {
    return this.add(join(dir, name), contents);
  }

  /** Adds a JSON result (tensors and non-finite numbers as `toJson` writes them). */
  addJson(path: string, value: unknown): string {
    return this.add(path, `${toJson(value, { indent: 2 })}\n`);
  }

  /** Adds an SVG figure, and its PNG beside it (same name, `.png`) when a converter was given. */
  async addFigure(path: string, svg: string): Promise<string[]> {
    const added = [this.add(path, svg)];
    if (this.#png !== undefined) added.push(this.add(path.replace(/\.svg$/i, '') + '.png', await svgToPng(svg, this.#png)));
    return added;
  }

  /** Adds a `.npy` file. */
  addNpy(path: string, tensor: Tensor): string {
    return this.add(path, writeNpy(tensor));
  }

  /** The files to write, relative to the working directory. */
  paths(): string[] {
    return [...this.#files.keys()].map((p) => relative(this.#cwd, p) || p);
  }

  /** Writes every file: temporary names first, then renames. Removes the temporaries on failure. */
  commit(): string[] {
    const temporaries: string[] = [];
    try {
      for (const [path, contents] of this.#files) {
        mkdirSync(dirname(path), { recursive: true });
        const temporary = `${path}.${process.pid}.tmp`;
        temporaries.push(temporary);
        writeFileSync(temporary, contents);
      }
      [...this.#files.keys()].forEach((path, i) => renameSync(temporaries[i]!, path));
    } catch (cause) {
      for (const t of temporaries) rmSync(t, { force: true });
      throw new MechintError('INVALID_FILE', `Cannot write the outputs (${(cause as Error).message}); check that the output folder is writable.`, { cause });
    }
    return this.paths();
  }
}
