/**
 * The committed reference outputs of tools/topology/make_references.py (GUDHI, numpy, scipy).
 */
import { readFileSync } from 'node:fs';
import type { Diagram } from '../src/index.js';

type JsonPair = [number, number | null];

export interface RipsReference {
  name: string;
  maxDim: number;
  threshold: number | null;
  field: number;
  points?: number[][];
  distanceMatrix?: number[][];
  diagrams: JsonPair[][];
}

export interface DistanceReference {
  a: JsonPair[];
  b: JsonPair[];
  bottleneck: number | null;
  wasserstein1: number | null;
  wasserstein2: number | null;
}

export interface ImageReference {
  diagram: JsonPair[];
  birthRange: [number, number];
  persistenceRange: [number, number];
  pixelSize: number;
  sigma: number;
  n: number;
  image: number[][];
}

export interface DimensionReference {
  name: string;
  points: number[][];
  twoNN: number;
  twoNNMle: number;
  mle20: number;
  mle20Inverse: number;
  participationRatio: number;
}

export interface References {
  rips: RipsReference[];
  distances: DistanceReference[];
  image: ImageReference;
  dimension: DimensionReference[];
}

export const references = JSON.parse(readFileSync(new URL('./fixtures/references.json', import.meta.url), 'utf8')) as References;

/** A JSON diagram (null deaths) as a diagram (Infinity deaths). */
export function diagramOf(pairs: readonly JsonPair[]): Diagram {
  return pairs.map(([b, d]) => [b, d ?? Infinity] as const);
}

/** The number of null (essential) entries becomes Infinity, or stays a number. */
export function distanceOf(value: number | null): number {
  return value ?? Infinity;
}
