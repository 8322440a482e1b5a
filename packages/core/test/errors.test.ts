import { MechintError, check } from '../src/index.node.js';

describe('MechintError', () => {
  it('carries a stable code, a message, structured details and a cause', () => {
    const cause = new Error('disk');
    const error = new MechintError('INVALID_FILE', 'Cannot read x.npy; check the path.', { cause, details: { path: 'x.npy' } });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('MechintError');
    expect(error.code).toBe('INVALID_FILE');
    expect(error.details).toEqual({ path: 'x.npy' });
    expect(error.cause).toBe(cause);
  });

  it('is recognised across copies of the package by its marker, and nothing else is', () => {
    const marker = Symbol.for('@mechint/core.MechintError');
    const fromAnotherCopy = Object.assign(new Error('x'), { [marker]: true, code: 'INVALID_ARGUMENT' });
    expect(MechintError.isInstance(fromAnotherCopy)).toBe(true);
    expect(MechintError.isInstance(new Error('x'))).toBe(false);
    expect(MechintError.isInstance(null)).toBe(false);
    expect(MechintError.isInstance('INVALID_ARGUMENT')).toBe(false);
  });

  it('check() throws the code given, INVALID_ARGUMENT by default', () => {
    expect(() => check(false, 'k must be positive')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'k must be positive' }));
    expect(() => check(false, 'bad shape', 'SHAPE_MISMATCH')).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    expect(() => check(true, 'unused')).not.toThrow();
  });
});
