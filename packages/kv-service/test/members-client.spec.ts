/**
 * MembersClient against fake nodes (node:http on loopback, canned answers): list() — a node that
 * knows no leader (e.g. one removed from the cluster but still running) must not have the last
 * word while another node leads; transferLeader() — the answer is the new leader's view (with
 * its progress), waited for within bounds, not the old leader's.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { expect } from 'chai'
import { MembersClient, MembersError } from '../src/http/members-client.js'
import type { MembersView } from '../src/http/members-protocol.js'

const SECRET = 'a secret of sixteen characters or more'

interface FakeNode {
  readonly address: string
  /** The GET /v1/admin/members answers given so far. */
  gets: number
  close(): Promise<void>
}

/** A node answering every request with `answer(method)` (a view, or a redirect to a host). */
async function fakeNode(
  answer: (method: string) => MembersView | { redirect: string },
): Promise<FakeNode> {
  const node = { gets: 0 }
  const server: Server = createServer((req, res) => {
    if (req.headers['raftkit-secret'] !== SECRET) return void res.writeHead(401).end()
    if (req.method === 'GET') node.gets++
    const a = answer(req.method ?? '')
    if ('redirect' in a) {
      res.writeHead(307, { location: `http://${a.redirect}/v1/admin/members` }).end()
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(a))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return Object.assign(node, {
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  })
}

/** The fake nodes a describe block's tests start, closed after each test. */
function useFakeNodes(): FakeNode[] {
  const nodes: FakeNode[] = []
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.close()))
  })
  return nodes
}

function view(
  node: string,
  leader: string | null,
  term: number,
  configIndex: number,
  http: Record<string, string>,
): MembersView {
  const ids = Object.keys(http)
  return {
    node,
    term,
    leader,
    voters: ids,
    learners: [],
    outgoing: [],
    joint: false,
    configIndex,
    committed: leader !== null,
    leadTransferee: null,
    members: ids.map((id) => ({ id, role: 'voter', peer: null, http: http[id] ?? null })),
  }
}

describe('MembersClient.list()', () => {
  const nodes = useFakeNodes()

  it("asks further nodes when the first knows no leader, and returns the leader's view", async () => {
    // n2 was removed and still runs: it knows no leader and still lists n3, n4 by address. n3
    // redirects to n4, which leads a configuration n2 never saw committed.
    const addr: Record<string, string> = {}
    const n4 = await fakeNode(() => view('n4', 'n4', 3, 9, { n3: addr.n3!, n4: addr.n4! }))
    const n3 = await fakeNode(() => ({ redirect: n4.address }))
    addr.n3 = n3.address
    addr.n4 = n4.address
    const n2 = await fakeNode(() => view('n2', null, 2, 7, { n2: addr.n2!, ...addr }))
    addr.n2 = n2.address
    nodes.push(n2, n3, n4)

    const client = new MembersClient({ endpoints: [n2.address], secret: SECRET })
    const v = await client.list()
    expect(v.node).to.equal('n4')
    expect(v.leader).to.equal('n4')
    expect(v.configIndex).to.equal(9)
    expect(n2.gets).to.equal(1)
  })

  it('returns the first answer at once when it names a leader', async () => {
    const other = await fakeNode(() => view('n2', 'n2', 5, 1, {}))
    const leader = await fakeNode(() => view('n1', 'n1', 5, 1, { n1: '', n2: other.address }))
    nodes.push(leader, other)
    const v = await new MembersClient({ endpoints: [leader.address], secret: SECRET }).list()
    expect(v.node).to.equal('n1')
    expect(other.gets).to.equal(0)
  })

  it('with no leader anywhere, returns the view of the highest term and configuration', async () => {
    const addr: Record<string, string> = {}
    const b = await fakeNode(() => view('b', null, 4, 12, addr))
    const c = await fakeNode(() => view('c', null, 4, 10, addr))
    const a = await fakeNode(() => view('a', null, 3, 15, addr))
    Object.assign(addr, { a: a.address, b: b.address, c: c.address })
    nodes.push(a, b, c)
    const v = await new MembersClient({ endpoints: [a.address], secret: SECRET }).list()
    expect(v.node).to.equal('b')
    expect(v.leader).to.equal(null)
    // Each node asked once (a by the first call, b and c by the probe round).
    expect([a.gets, b.gets, c.gets]).to.deep.equal([1, 1, 1])
  })
})

/** `v` with the leader's progress of every other member in `state`. */
function withProgress(v: MembersView, state: string): MembersView {
  return {
    ...v,
    members: v.members.map((m) =>
      m.id === v.node ? m : { ...m, progress: { match: 7, next: 8, state } },
    ),
  }
}

describe('MembersClient.transferLeader()', () => {
  const nodes = useFakeNodes()

  it("answers the new leader's view once it leads and has heard from every member", async () => {
    // n1 led; it answers the transfer (leader n2, term 3) without progress. n2 first answers
    // before it has heard of its win, then as leader still probing n1, then replicating.
    const addr: Record<string, string> = {}
    const n2Answers = [
      () => view('n2', null, 2, 0, addr),
      () => withProgress(view('n2', 'n2', 3, 0, addr), 'probe'),
      () => withProgress(view('n2', 'n2', 3, 0, addr), 'replicate'),
    ]
    const n2 = await fakeNode(() => n2Answers[Math.min(n2.gets, n2Answers.length) - 1]!())
    const n1 = await fakeNode((method) =>
      method === 'POST' ? view('n1', 'n2', 3, 0, addr) : { redirect: n2.address },
    )
    Object.assign(addr, { n1: n1.address, n2: n2.address })
    nodes.push(n1, n2)
    const client = new MembersClient({ endpoints: [n1.address], secret: SECRET })
    const v = await client.transferLeader('n2')
    expect(v.node).to.equal('n2')
    expect(v.leader).to.equal('n2')
    expect(v.members.find((m) => m.id === 'n1')?.progress).to.deep.equal({
      match: 7,
      next: 8,
      state: 'replicate',
    })
    expect(n2.gets).to.equal(3)
    expect(n1.gets).to.equal(0)
  })

  it('a member that stays in probe (e.g. down) delays the answer by about a second, no more', async () => {
    const addr: Record<string, string> = {}
    const n2 = await fakeNode(() => withProgress(view('n2', 'n2', 3, 0, addr), 'probe'))
    const n1 = await fakeNode(() => view('n1', 'n2', 3, 0, addr))
    Object.assign(addr, { n1: n1.address, n2: n2.address })
    nodes.push(n1, n2)
    const started = Date.now()
    const v = await new MembersClient({ endpoints: [n1.address], secret: SECRET }).transferLeader(
      'n2',
    )
    const took = Date.now() - started
    expect(v.node).to.equal('n2')
    expect(v.members.find((m) => m.id === 'n1')?.progress?.state).to.equal('probe')
    expect(took).to.be.within(900, 3_000)
  })

  it('fails with UNREACHABLE, saying the transfer is done, when the new leader does not answer', async () => {
    const gone = await fakeNode(() => view('x', null, 0, 0, {}))
    const silent = gone.address
    await gone.close()
    const n1 = await fakeNode(() => view('n1', 'n2', 3, 0, { n1: '', n2: silent }))
    nodes.push(n1)
    const client = new MembersClient({ endpoints: [n1.address], secret: SECRET, deadlineMs: 1_500 })
    const started = Date.now()
    const e = await client.transferLeader('n2').then(
      () => undefined,
      (err: unknown) => err,
    )
    expect(e).to.be.instanceOf(MembersError)
    expect((e as MembersError).code).to.equal('UNREACHABLE')
    expect((e as MembersError).message).to.match(/^the transfer is done \(leader n2, term 3\)/)
    expect(Date.now() - started).to.be.below(5_000)
  })
})

describe('MembersClient.remove()', () => {
  const nodes = useFakeNodes()

  it("a leader that removed itself: answers the next leader's view, found through the members the answer lists", async () => {
    // n1 led and removes itself: it answers without a leader or progress, still running (its
    // GETs too). n2 first knows no leader, then leads (term 4) replicating to n3.
    const addr: Record<string, string> = {}
    const n2Answers = [
      () => view('n2', null, 3, 9, addr),
      () => withProgress(view('n2', 'n2', 4, 9, addr), 'replicate'),
    ]
    const n2 = await fakeNode(() => n2Answers[Math.min(n2.gets, n2Answers.length) - 1]!())
    const n3 = await fakeNode(() => ({ redirect: n2.address }))
    const n1 = await fakeNode(() => view('n1', null, 3, 9, addr))
    Object.assign(addr, { n2: n2.address, n3: n3.address })
    nodes.push(n1, n2, n3)
    const v = await new MembersClient({ endpoints: [n1.address], secret: SECRET }).remove('n1')
    expect(v.node).to.equal('n2')
    expect(v.leader).to.equal('n2')
    expect(v.members.find((m) => m.id === 'n3')?.progress?.state).to.equal('replicate')
  })

  it('removing another member answers the leader at once', async () => {
    const addr: Record<string, string> = {}
    const n1 = await fakeNode(() => withProgress(view('n1', 'n1', 3, 9, addr), 'replicate'))
    Object.assign(addr, { n1: n1.address })
    nodes.push(n1)
    const v = await new MembersClient({ endpoints: [n1.address], secret: SECRET }).remove('n2')
    expect(v.node).to.equal('n1')
    expect(n1.gets).to.equal(0)
  })

  it('fails with UNREACHABLE, saying the removal is done, when no new leader answers', async () => {
    const n1 = await fakeNode(() => view('n1', null, 3, 9, { n1: '' }))
    nodes.push(n1)
    const client = new MembersClient({ endpoints: [n1.address], secret: SECRET, deadlineMs: 1_500 })
    const e = await client.remove('n1').then(
      () => undefined,
      (err: unknown) => err,
    )
    expect(e).to.be.instanceOf(MembersError)
    expect((e as MembersError).code).to.equal('UNREACHABLE')
    expect((e as MembersError).message).to.match(
      /^the removal is done \(leader \(none known\), term 3\)/,
    )
  })
})
