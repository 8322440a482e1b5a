/**
 * The command line as a whole: help, version, exit codes, one-line errors, --debug, --json errors,
 * and the built binary spawned for real.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor } from '@mechint/core';
import { EXIT_CODES, createProgress } from '../src/index.js';
import { errorLine, fixture, mechint, repo, temporaryFolder, writeNpzFile } from './helpers.js';

const { dir, remove } = temporaryFolder();
afterAll(remove);

describe('global behaviour', () => {
  it('lists every subcommand in --help and exits 0', async () => {
    const ran = await mechint(['--help'], dir);
    expect(ran.code).toBe(EXIT_CODES.ok);
    for (const c of ['demo', 'inspect', 'cache', 'patch', 'attribute', 'sae', 'fractal', 'align', 'topology', 'spikes']) expect(ran.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    expect(ran.stdout).toContain('Exit codes');
  });

  it('prints a subcommand\'s help', async () => {
    const ran = await mechint(['cache', '--help'], dir);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain('--hooks PATTERN');
  });

  it('prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(repo('apps/cli/package.json'), 'utf8')) as { version: string };
    expect((await mechint(['--version'], dir)).stdout.trim()).toBe(version);
  });

  it('refuses an unknown subcommand with a suggestion (usage, exit 2)', async () => {
    const ran = await mechint(['inspct', 'model.onnx'], dir);
    expect(ran.code).toBe(EXIT_CODES.usage);
    expect(errorLine(ran, 'INVALID_ARGUMENT')).toContain("did you mean 'mechint inspect'");
  });

  it('refuses no subcommand, an unknown option and a missing option value (exit 2)', async () => {
    expect((await mechint([], dir)).code).toBe(EXIT_CODES.usage);
    const unknown = await mechint(['fractal', 'x.npy', '--method', 'dfa'], dir);
    expect(unknown.code).toBe(EXIT_CODES.usage);
    expect(errorLine(unknown, 'INVALID_ARGUMENT')).toContain("Unknown option '--method' for mechint fractal; did you mean --methods?");
    const missing = await mechint(['cache', fixture('gpt2l.onnx'), '--out'], dir);
    expect(missing.code).toBe(EXIT_CODES.usage);
    errorLine(missing, 'INVALID_ARGUMENT');
    const ep = await mechint(['inspect', fixture('gpt2l.onnx'), '--ep', 'tpu'], dir);
    expect(ep.code).toBe(EXIT_CODES.usage);
    expect(errorLine(ep, 'INVALID_ARGUMENT')).toContain('--ep must be one of cpu, cuda, webgpu');
  });

  it('refuses missing files and wrong file types (bad input, exit 3)', async () => {
    const missing = await mechint(['inspect', 'nowhere.onnx'], dir);
    expect(missing.code).toBe(EXIT_CODES.badInput);
    expect(errorLine(missing, 'INVALID_FILE')).toContain("Model 'nowhere.onnx' does not exist");
    const wrongType = await mechint(['inspect', fixture('gpt2l.meta.json')], dir);
    expect(wrongType.code).toBe(EXIT_CODES.badInput);
    expect(errorLine(wrongType, 'INVALID_FILE')).toContain('is not a .onnx file');
    writeFileSync(join(dir, 'garbage.npy'), 'not numpy');
    const garbage = await mechint(['fractal', 'garbage.npy'], dir);
    expect(garbage.code).toBe(EXIT_CODES.badInput);
    expect(errorLine(garbage, 'INVALID_FILE')).toContain("'garbage.npy'");
  });

  it('refuses npz keys that do not match the model inputs, naming them', async () => {
    writeNpzFile(join(dir, 'wrong-keys.npz'), { toks: Tensor.from([[0n, 1n]]) });
    const ran = await mechint(['cache', fixture('gpt2l.onnx'), '--inputs', 'wrong-keys.npz', '--out', 'acts.npz'], dir);
    expect(ran.code).toBe(EXIT_CODES.badInput);
    expect(errorLine(ran, 'INVALID_ARGUMENT')).toContain("has arrays [toks] but the model takes [tokens]; missing tokens; not inputs: toks. Save one array per model input");
    expect(existsSync(join(dir, 'acts.npz'))).toBe(false);
  });

  it('prints the stack only with --debug, and the error as JSON with --json', async () => {
    const debug = await mechint(['inspect', 'nowhere.onnx', '--debug'], dir);
    expect(debug.code).toBe(EXIT_CODES.badInput);
    expect(debug.stderr).toMatch(/\n\s+at /);
    const json = await mechint(['inspect', 'nowhere.onnx', '--json'], dir);
    expect(JSON.parse(json.stdout)).toEqual({ error: { code: 'INVALID_FILE', message: expect.stringContaining('does not exist') as unknown, exitCode: 3 } });
  });

  it('writes nothing into --out when a run fails half-way', async () => {
    const short = Tensor.from(Float64Array.from({ length: 40 }, (_, i) => Math.sin(i) + (i % 3)));
    writeNpzFile(join(dir, 'short.npz'), { x: short });
    // Katz runs, then DFA refuses 40 samples: the Katz result must not be written either.
    const ran = await mechint(['fractal', 'short.npz', '--methods', 'katz,dfa', '--out', 'half'], dir);
    expect(ran.code).toBe(EXIT_CODES.badInput);
    errorLine(ran, 'INVALID_ARGUMENT');
    expect(existsSync(join(dir, 'half'))).toBe(false);
  });
});

describe('progress', () => {
  it('waits a second, then draws a bar on a terminal and plain lines elsewhere; nothing when quiet', () => {
    let now = 0;
    const written: string[] = [];
    const sink = (isTTY: boolean) => ({ write: (t: string) => void written.push(t), isTTY });
    const tty = createProgress(sink(true), { quiet: false, now: () => now })('train');
    tty.update(1, 10);
    expect(written).toHaveLength(0);
    now = 1500;
    tty.update(5, 10);
    expect(written.at(-1)).toMatch(/^\rtrain \[#{14}-{14}\]  50% 5\/10$/);
    tty.end();
    expect(written.at(-1)).toBe('\r\x1b[2K');
    written.length = 0;
    now = 0;
    const plain = createProgress(sink(false), { quiet: false, now: () => now })('train');
    now = 1200;
    plain.update(3, 10);
    now = 1300;
    plain.update(4, 10);
    now = 2300;
    plain.update(10, 10);
    expect(written).toEqual(['train: 3/10 (30%)\n', 'train: 10/10 (100%)\n']);
    written.length = 0;
    const quiet = createProgress(sink(true), { quiet: true, now: () => now + 5000 })('train');
    quiet.update(1, 2);
    expect(written).toHaveLength(0);
  });
});

describe('the built binary', () => {
  const bin = repo('apps/cli/dist/main.js');
  beforeAll(() => {
    execFileSync(process.execPath, [repo('node_modules/typescript/bin/tsc'), '-b', repo('apps/cli')], { stdio: 'inherit' });
  });

  it('runs inspect --json as a process', () => {
    const ran = spawnSync(process.execPath, [bin, 'inspect', fixture('gpt2l.onnx'), '--json'], { encoding: 'utf8' });
    expect(ran.status).toBe(0);
    const report = JSON.parse(ran.stdout) as { inputs: { name: string }[]; parameters: number };
    expect(report.inputs.map((i) => i.name)).toEqual(['tokens']);
  });

  it('inspect prints no native onnxruntime lines about providers nobody asked for (they are probed in a child process)', () => {
    const ran = spawnSync(process.execPath, [bin, 'inspect', fixture('gpt2l.onnx')], { encoding: 'utf8' });
    expect(ran.status).toBe(0);
    expect(ran.stderr).not.toMatch(/onnxruntime|Vulkan|vulkan|\u001b\[/);
    expect(ran.stdout).toMatch(/providers .*cpu ✓/);
  });

  it('exits with the documented code and one line on bad input', () => {
    const ran = spawnSync(process.execPath, [bin, 'topology', 'missing.npy'], { encoding: 'utf8', cwd: dir });
    expect(ran.status).toBe(EXIT_CODES.badInput);
    expect(ran.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^mechint: error \[INVALID_FILE\] Point cloud 'missing.npy' does not exist/) as unknown]);
  });
});
