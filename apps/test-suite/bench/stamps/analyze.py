#!/usr/bin/env python3
"""Median offsets of each stamped step of a 1-client put from the leader's request arrival.

usage: analyze.py STAMPS_DIR [ARM]
STAMPS_DIR holds one file per process (`label time_us` lines) written by the servers and the
load generator built with stamps.patch and run with RAFTKIT_STAMPS=STAMPS_DIR (see README.md).
ARM keeps only the phases of that arm when the code under test stamps `arm NAME` lines.
The leader is the process with the most `rq` stamps, the load generator the one with `c0`
stamps; F1 and F2 are the followers in pid order. The first third of the puts is left out.
"""
import os, sys, statistics, collections
d = sys.argv[1]
want = sys.argv[2] if len(sys.argv) > 2 else None
ev = []
leader = None
rqc = {}
for f in os.listdir(d):
    for l in open(os.path.join(d, f)):
        parts = l.split()
        t = float(parts[-1]); lab = ' '.join(parts[:-1])
        ev.append((t, f, lab))
        if lab == 'rq': rqc[f] = rqc.get(f, 0) + 1
ev.sort()
arm = None
keep = []
arms = [x[1] for x in ev if x[2].startswith('arm ')]
armsrc = min(arms) if arms else None
for e in ev:
    if e[2].startswith('arm '):
        if e[1] == armsrc: arm = e[2][4:]
        continue
    if want is None or arm == want: keep.append(e)
ev = keep
leader = max(rqc, key=rqc.get)
cl = {f for _, f, lab in ev if lab == 'c0'}
fol = sorted({f for _, f, _ in ev} - {leader} - cl)
role = {leader: 'L', fol[0]: 'F1', fol[1]: 'F2'}
for c in cl: role[c] = 'C'
anchors = [i for i, (t, f, lab) in enumerate(ev) if f == leader and lab == 'rq']
anchors = anchors[len(anchors) // 3:]  # skip warm-up
acc = collections.defaultdict(list)
tot = []
for a, b in zip(anchors, anchors[1:]):
    T0 = ev[a][0]
    seen = collections.Counter()
    for t, f, lab in ev[a:b]:
        key = role[f] + ' ' + (lab.split()[0] if lab.startswith(('rdy',)) else lab)
        seen[key] += 1
        acc[f'{key} #{seen[key]}'].append(t - T0)
    tot.append(ev[b][0] - T0)
n = len(tot)
print(n, 'puts; rq->next rq p50', statistics.median(tot))
rows = [(statistics.median(v), k, len(v)) for k, v in acc.items() if len(v) > n * 0.3]
for m, k, c in sorted(rows):
    v = sorted(acc[k])
    print(f'{k:28s} n={c:5d} p10={v[len(v)//10]:7.1f} p50={m:7.1f} p90={v[len(v)*9//10]:7.1f}')
