/**
 * MembersClient.list() against fake nodes (node:http on loopback, canned answers): a node that
 * knows no leader (e.g. one removed from the cluster but still running) must not have the last
 * word while another node leads.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { expect } from 'chai'
import { MembersClient } from '../src/http/members-client.js'
import type { MembersView } from '../src/http/members-protocol.js'

const SECRET = 'a secret of sixteen characters or more'

interface FakeNode {
  readonly address: string
  /** The GET /v1/admin/members answers given so far. */
  gets: number
  close(): Promise<void>
}

/** A node answering GET /v1/admin/members with `answer()` (a view, or a redirect to a host). */
async function fakeNode(answer: () => MembersView | { redirect: string }): Promise<FakeNode> {
  const node = { gets: 0 }
  const server: Server = createServer((req, res) => {
    if (req.headers['raftkit-secret'] !== SECRET) return void res.writeHead(401).end()
    node.gets++
    const a = answer()
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
  const nodes: FakeNode[] = []
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.close()))
  })

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
