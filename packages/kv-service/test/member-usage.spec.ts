/**
 * The command-line errors of `raftkit member`, `raftkit transfer-leader` and `raftkit serve
 * --join` (cli/member.ts): each bad command line ends with its exact message and exit code 2
 * (usage errors also print the usage text) before anything is contacted or started. The
 * cluster file names nodes at unreachable addresses; no case gets as far as dialing them.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { USAGE } from '../src/cli/commands.js'
import { cli } from './cli-in-process.js'

describe('raftkit member / transfer-leader / serve --join: bad command lines', function () {
  let dir: string
  let file: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'raftkit-member-usage-'))
    file = join(dir, 'cluster.json')
    const nodes = [{ id: 'n1', peer: '127.0.0.1:1', http: '127.0.0.1:2', dataDir: 'data/n1' }]
    await writeFile(file, JSON.stringify({ nodes, secret: 'x'.repeat(16) }))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  const F = (): string[] => ['--config', file]
  const join9 = ['--join', '--id', 'n9']
  /**
   * [command line, whether it is a usage error (usage text printed), the whole first line, or
   * a pattern for the messages of node:util's parseArgs, whose wording is Node's]
   */
  const cases: Array<[string, () => string[], boolean, string | RegExp]> = [
    [
      'member',
      () => ['member', ...F()],
      true,
      'expected member list | add ID | promote ID | remove ID',
    ],
    [
      'member frob',
      () => ['member', 'frob', ...F()],
      true,
      'expected member list | add ID | promote ID | remove ID',
    ],
    ['member add (no id)', () => ['member', 'add', ...F()], true, 'member add needs a node id'],
    [
      'member remove ""',
      () => ['member', 'remove', '', ...F()],
      true,
      'member remove needs a node id',
    ],
    ['member list n1', () => ['member', 'list', 'n1', ...F()], true, 'member list takes no id'],
    ['member add n9 x', () => ['member', 'add', 'n9', 'x', ...F()], true, 'unexpected argument x'],
    ['member list (no --config)', () => ['member', 'list'], true, '--config is required'],
    [
      'member list --config ""',
      () => ['member', 'list', '--config', ''],
      true,
      '--config is required',
    ],
    [
      'member list --bogus',
      () => ['member', 'list', '--bogus', ...F()],
      true,
      /^Unknown option '--bogus'/,
    ],
    [
      'member list --config (no value)',
      () => ['member', 'list', '--config'],
      true,
      /^Option '--config <value>' argument missing/,
    ],
    [
      'member add n9 (no --peer)',
      () => ['member', 'add', 'n9', '--http', '127.0.0.1:3', ...F()],
      true,
      '--peer is required',
    ],
    [
      'member add n9 (no --http)',
      () => ['member', 'add', 'n9', '--peer', '127.0.0.1:3', ...F()],
      true,
      '--http is required',
    ],
    [
      'member add n9 --peer bad',
      () => ['member', 'add', 'n9', '--peer', 'bad', '--http', '127.0.0.1:3', ...F()],
      false,
      'invalid option "--peer": expected "host:port" with a port in 1..65535, got "bad"',
    ],
    [
      'member list --timeout 0',
      () => ['member', 'list', '--timeout', '0', ...F()],
      false,
      'invalid option "--timeout": expected a positive integer, got "0"',
    ],
    [
      'member list --timeout 1.5',
      () => ['member', 'list', '--timeout', '1.5', ...F()],
      false,
      'invalid option "--timeout": expected a positive integer, got "1.5"',
    ],
    [
      'member list --timeout past 2^53',
      () => ['member', 'list', '--timeout', '99999999999999999999', ...F()],
      false,
      'invalid option "--timeout": expected a positive integer, got "99999999999999999999"',
    ],
    [
      'transfer-leader n2',
      () => ['transfer-leader', 'n2', ...F()],
      true,
      'transfer-leader takes no arguments',
    ],
    ['transfer-leader (no --to)', () => ['transfer-leader', ...F()], true, '--to is required'],
    [
      'transfer-leader (no --config)',
      () => ['transfer-leader', '--to', 'n2'],
      true,
      '--config is required',
    ],
    [
      'transfer-leader --timeout x',
      () => ['transfer-leader', '--to', 'n2', '--timeout', 'x', ...F()],
      false,
      'invalid option "--timeout": expected a positive integer, got "x"',
    ],
    ['serve --join x', () => ['serve', ...join9, 'x', ...F()], true, 'serve takes no arguments'],
    ['serve --join (no --config)', () => ['serve', ...join9], true, '--config is required'],
    ['serve --join (no --id)', () => ['serve', '--join', ...F()], true, '--id is required'],
    [
      'serve --join --id "a b"',
      () => ['serve', '--join', '--id', 'a b', ...F()],
      false,
      'invalid option "--id": must be 1-64 of A-Z a-z 0-9 _ . -',
    ],
    [
      'serve --join --id n1',
      () => ['serve', '--join', '--id', 'n1', ...F()],
      false,
      'invalid option "--id": n1 is in the cluster file: start it with raftkit serve --config F --id n1',
    ],
    [
      'serve --join --log-level loud',
      () => ['serve', ...join9, '--log-level', 'loud', ...F()],
      false,
      'invalid option "--log-level": expected one of trace, debug, info, warn, error, fatal, silent',
    ],
    [
      'serve --join (no --peer)',
      () => ['serve', ...join9, '--http', '127.0.0.1:3', '--data-dir', dir, ...F()],
      true,
      '--peer is required',
    ],
    [
      'serve --join (no --data-dir)',
      () => ['serve', ...join9, '--peer', '127.0.0.1:3', '--http', '127.0.0.1:4', ...F()],
      true,
      '--data-dir is required',
    ],
    [
      'serve --join --http bad',
      () => [
        'serve',
        ...join9,
        '--peer',
        '127.0.0.1:3',
        '--http',
        'bad',
        '--data-dir',
        dir,
        ...F(),
      ],
      false,
      'invalid option "--http": expected "host:port" with a port in 1..65535, got "bad"',
    ],
  ]
  for (const [what, argv, usage, message] of cases)
    it(`${what}: exit code 2, ${typeof message === 'string' ? JSON.stringify(message) : String(message)}`, async () => {
      const args = argv()
      const r = await cli(args)
      expect(r.code, r.err).to.equal(2)
      expect(r.out).to.equal('')
      const prefix = `raftkit ${args[0]}: `
      const tail = usage ? `\n\n${USAGE}` : '\n'
      expect(r.err.startsWith(prefix), r.err).to.equal(true)
      expect(r.err.endsWith(tail), r.err).to.equal(true)
      const first = r.err.slice(prefix.length, r.err.length - tail.length)
      if (typeof message === 'string') expect(first).to.equal(message)
      else expect(first).to.match(message).and.not.include('\n')
    })

  it('member list --config of a missing file: exit code 2, naming --config and the file', async () => {
    const none = join(dir, 'none.json')
    const r = await cli(['member', 'list', '--config', none])
    expect(r.code, r.err).to.equal(2)
    expect(r.err).to.equal(
      `raftkit member: invalid option "--config": cannot read ${none}: ENOENT: no such file or directory, open '${none}'\n`,
    )
  })
})
