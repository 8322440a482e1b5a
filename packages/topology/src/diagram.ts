/**
 * Persistence diagrams: lists of (birth, death) pairs, with `death = Infinity` for essential
 * classes, and the checks every diagram function runs on them.
 */
import { MechintError } from '@mechint/core';

/**
 * One persistence pair: the scale a class is born at and the scale it dies at (`Infinity` for an
 * essential class, one that never dies within the threshold).
 *
 * @example
 * ```ts
 * import type { PersistencePair } from '@mechint/topology';
 * const loop: PersistencePair = [0.3, 1.6];
 * const component: PersistencePair = [0, Infinity];
 * ```
 */
export type PersistencePair = readonly [birth: number, death: number];

/**
 * A persistence diagram of one homology dimension.
 *
 * @example
 * ```ts
 * import type { Diagram } from '@mechint/topology';
 * const h1: Diagram = [[0.3, 1.6], [0.4, 0.45]];
 * ```
 */
export type Diagram = readonly PersistencePair[];

/** @internal Checks a diagram: pairs of two numbers, birth finite, death ≥ birth (death may be Infinity). */
export function checkDiagram(diagram: Diagram, what: string): void {
  if (!Array.isArray(diagram)) throw new MechintError('INVALID_ARGUMENT', `${what} must be an array of [birth, death] pairs.`);
  diagram.forEach((pair, i) => {
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new MechintError('INVALID_ARGUMENT', `${what}: entry ${i} is not a [birth, death] pair.`, { details: { index: i } });
    }
    const [birth, death] = pair;
    if (typeof birth !== 'number' || !Number.isFinite(birth) || typeof death !== 'number' || Number.isNaN(death) || death < birth) {
      throw new MechintError('INVALID_ARGUMENT', `${what}: pair ${i} is [${String(birth)}, ${String(death)}]; births must be finite and deaths ≥ births (Infinity for essential classes).`, {
        details: { index: i },
      });
    }
  });
}

/** @internal The finite pairs and the sorted births of the essential ones. */
export function splitDiagram(diagram: Diagram): { finite: PersistencePair[]; essential: number[] } {
  const finite: PersistencePair[] = [];
  const essential: number[] = [];
  for (const pair of diagram) {
    if (pair[1] === Infinity) essential.push(pair[0]);
    else finite.push(pair);
  }
  essential.sort((a, b) => a - b);
  return { finite, essential };
}
