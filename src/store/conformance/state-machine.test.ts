import { describe, expect, it } from 'vitest';
import { OPERATIONS, STORED_STATES, TRANSITIONS, type OperationName } from '../../core/job-state.js';
import { EDGE_CASES } from './state-machine.js';

const edge = (from: string, to: string): string => `${from} -> ${to}`;
const tableEdges = new Set(STORED_STATES.flatMap((from) => TRANSITIONS[from].map((to) => edge(from, to))));

describe('the conformance cases and the state machine', () => {
  it('drive every edge of the table through some store operation', () => {
    const covered = new Set(EDGE_CASES.map((c) => edge(c.from, c.to)));
    expect([...tableEdges].filter((e) => !covered.has(e))).toEqual([]);
  });

  it('drive no state change the table lacks', () => {
    expect(EDGE_CASES.map((c) => edge(c.from, c.to)).filter((e) => !tableEdges.has(e))).toEqual([]);
  });

  it("use each operation only for edges within its guard and targets", () => {
    for (const c of EDGE_CASES) {
      const op = OPERATIONS[c.op];
      expect(op.from, `${c.title}: ${c.op} from ${c.from}`).toContain(c.from);
      expect(op.to, `${c.title}: ${c.op} to ${c.to}`).toContain(c.to);
    }
  });

  it('exercise every operation', () => {
    const used = new Set(EDGE_CASES.map((c) => c.op));
    expect((Object.keys(OPERATIONS) as OperationName[]).filter((op) => !used.has(op))).toEqual([]);
  });
});
