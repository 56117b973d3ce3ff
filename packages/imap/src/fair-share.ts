export interface ShareMember {
  id: string;
  /** Most mailboxes this member takes; 0 = no limit. */
  capacity: number;
}

export interface ShareOptions {
  /**
   * How far above an even share a member may go before the next-ranked member gets the mailbox
   * (bounded-load rendezvous hashing). 0.05 keeps max/min within about 1.1 for 3 members.
   */
  slack?: number;
}

/** FNV-1a over the UTF-16 code units, then murmur3's finalizer so nearby strings spread out. */
function hash32(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix32(h);
}
function fmix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Rendezvous weight of (member, mailbox): a 32-bit number, the same on every replica. */
export function rendezvousScore(memberId: string, ref: string): number {
  return hash32(ref, hash32(memberId));
}

/** Members of `members`, highest rendezvous weight for `ref` first (ties by id). */
export function rankMembers<M extends ShareMember>(ref: string, members: readonly M[]): M[] {
  return members
    .map((m) => ({ m, s: rendezvousScore(m.id, ref) }))
    .sort((a, b) => b.s - a.s || (a.m.id < b.m.id ? -1 : 1))
    .map((x) => x.m);
}

/**
 * The load each member may take before the next-ranked one gets a mailbox: an even share (water-
 * filled around members whose capacity is below it) plus `slack`, never above the capacity.
 */
export function shareBounds(
  total: number,
  members: readonly ShareMember[],
  slack: number,
): Map<string, number> {
  const cap = (m: ShareMember) => (m.capacity > 0 ? m.capacity : Number.POSITIVE_INFINITY);
  const byCap = [...members].sort((a, b) => cap(a) - cap(b));
  let remaining = total;
  let level = 0;
  for (let i = 0; i < byCap.length; i++) {
    const m = byCap[i] as ShareMember;
    level = remaining / (byCap.length - i);
    if (cap(m) >= level) break;
    remaining -= cap(m);
  }
  // Never below an even share rounded up (small N stays even), at most `slack` above it.
  const bound = Math.max(Math.ceil(level), Math.floor(level * (1 + slack)));
  return new Map(members.map((m) => [m.id, Math.min(cap(m), Math.max(bound, 1))]));
}

/**
 * Who owns which mailbox: each mailbox goes to the member with the highest rendezvous weight that
 * still has room under its bound, else to the best-ranked member with capacity left, else to no
 * one (every member is full). A pure function of its inputs, so every replica computes the same
 * answer from the same members and mailboxes without talking to the others; a member joining or
 * leaving moves only about 1/N of the mailboxes.
 *
 * @example
 * assignMailboxes(["t/a", "t/b"], [{ id: "w1", capacity: 0 }, { id: "w2", capacity: 0 }])
 * // Map { "t/a" => "w2", "t/b" => "w1" }
 */
export function assignMailboxes(
  refs: readonly string[],
  members: readonly ShareMember[],
  opts: ShareOptions = {},
): Map<string, string> {
  const out = new Map<string, string>();
  if (members.length === 0) return out;
  const bounds = shareBounds(refs.length, members, opts.slack ?? 0.05);
  const load = new Map(members.map((m) => [m.id, 0]));
  const spill: { ref: string; ranked: ShareMember[] }[] = [];
  // A fixed order (by the mailbox's own hash) so that every replica fills the bounds alike.
  const ordered = [...new Set(refs)]
    .map((ref) => ({ ref, h: hash32(ref) }))
    .sort((a, b) => a.h - b.h || (a.ref < b.ref ? -1 : 1))
    .map((x) => x.ref);
  for (const ref of ordered) {
    const ranked = rankMembers(ref, members);
    const pick = ranked.find((m) => (load.get(m.id) ?? 0) < (bounds.get(m.id) ?? 0));
    if (pick) {
      out.set(ref, pick.id);
      load.set(pick.id, (load.get(pick.id) ?? 0) + 1);
    } else spill.push({ ref, ranked });
  }
  for (const { ref, ranked } of spill) {
    const pick = ranked.find((m) => m.capacity === 0 || (load.get(m.id) ?? 0) < m.capacity);
    if (!pick) continue;
    out.set(ref, pick.id);
    load.set(pick.id, (load.get(pick.id) ?? 0) + 1);
  }
  return out;
}

export interface OwnershipPlan {
  /** Assigned to me, not held yet: try to take the lease. */
  acquire: string[];
  /** Held by me, assigned to another live member: release so it can take over. */
  handOver: string[];
}

/**
 * What one replica does in one tick, given the shared assignment. A mailbox assigned to no one
 * (every member full) stays with whoever holds it; a mailbox is handed over only to a member that
 * is live, so a departing or unknown member never strands one.
 */
export function planOwnership(
  me: string,
  assignment: ReadonlyMap<string, string>,
  owned: ReadonlySet<string>,
  live: ReadonlySet<string>,
): OwnershipPlan {
  const acquire: string[] = [];
  for (const [ref, owner] of assignment) if (owner === me && !owned.has(ref)) acquire.push(ref);
  const handOver: string[] = [];
  for (const ref of owned) {
    const owner = assignment.get(ref);
    if (owner !== undefined && owner !== me && live.has(owner)) handOver.push(ref);
  }
  return { acquire, handOver };
}
