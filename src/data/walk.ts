/**
 * The subtree walk of the size and data passes. One task walks a whole subtree depth-first on
 * its own thread, through directory fds opened from their parents' fds (never from a path),
 * and gives work away only while some other thread is idle: then it posts the unvisited
 * subdirectory nearest the task's root (the biggest piece it knows of) to the pool, which runs
 * it as a new task. A pass over an unchanged tree thus costs a few round trips to the main
 * thread instead of one per directory, and a deep or lopsided tree still keeps every thread
 * busy. Memory stays bounded by the depth times the subdirectories per level: the walk holds
 * the fds of the current path and the names of the subdirectories still to visit.
 */
import * as fs from 'node:fs';
import type { MessagePort } from 'node:worker_threads';
import { abandonMeta, cancelCheck, closeAfterMeta, type Ctx } from './entries.js';
import { at, closeQuietly, joinRel, openChildDir, openDirAt, openRoot } from './fs-at.js';
import type { WalkMessage } from './types.js';

/**
 * A subdirectory found while visiting a directory. `fresh`: in the data pass, created by this
 * job just now; in the size pass, missing from the destination.
 */
export interface Child {
  name: Buffer;
  fresh: boolean;
  /** Handed to the walk's `ahead` before it was visited. */
  ahead?: boolean;
}

interface Frame {
  src: number;
  /** -1 when the walk does not look at the destination (size pass). */
  dst: number;
  rel: Buffer;
  children: Child[];
  next: number;
  /** Children up to this index were handed to `ahead`. */
  ahead: number;
}

/** Posts what a task hands to the pool and counts it, so the pool can wait for every message. */
export class Outbox {
  posted = 0;
  constructor(
    private readonly ctx: Ctx,
    private readonly port: MessagePort | null,
  ) {}

  /** Whether to give work away now: another thread is idle and nothing is on its way to it. */
  get wanted(): boolean {
    return this.port !== null && this.ctx.state.idleThreads(this.ctx.job.threads);
  }

  /** Work for another thread (a directory or a batch of names): counted until a worker starts it. */
  handOff(message: WalkMessage): void {
    this.ctx.state.handedOff(1);
    this.post(message);
  }

  post(message: WalkMessage): void {
    if (this.port === null) throw new Error('this task has no port to post to');
    this.port.postMessage(message);
    this.posted++;
  }

  get open(): boolean {
    return this.port !== null;
  }
}

/**
 * How the walk treats the destination: 'none' walks the source only; 'required' opens the same
 * directory on both sides (it must exist); 'optional' opens it where it exists and passes -1
 * below a missing or `fresh` (here: known to be missing) directory.
 */
export type DestinationMode = 'none' | 'required' | 'optional';

/**
 * Visits `rel` and every directory below it, depth-first. `visit` handles one directory's
 * entries (its fds stay open until all its subdirectories are done) and returns the
 * subdirectories to descend into.
 */
export function walkTree(
  ctx: Ctx,
  outbox: Outbox,
  rel: Uint8Array,
  fresh: boolean,
  destination: DestinationMode,
  ahead: ((parentSrc: number, next: Child[]) => void) | undefined,
  visit: (src: number, dst: number, rel: Buffer, fresh: boolean, aheadDone: boolean) => Child[],
): void {
  const stack: Frame[] = [];
  try {
    const root = openFrame(ctx, rel, destination === 'optional' && fresh ? 'none' : destination);
    stack.push(root);
    root.children = visit(root.src, root.dst, root.rel, fresh, false);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next >= top.children.length) {
        closeFrame(ctx, stack.pop()!);
        continue;
      }
      cancelCheck(ctx, top.rel);
      if (outbox.wanted) shareOne(stack, outbox);
      if (top.next >= top.children.length) continue;
      const child = top.children[top.next]!;
      // Drop the name as soon as it is taken: long sibling lists are not kept twice.
      top.children[top.next++] = EMPTY_CHILD;
      // Told in groups (each a round trip to the helper), refilled when half the group is visited.
      if (ahead !== undefined && top.ahead - top.next < AHEAD / 2) {
        const end = Math.min(top.next + AHEAD, top.children.length);
        if (top.ahead < end) {
          const next = top.children.slice(Math.max(top.ahead, top.next), end);
          for (const c of next) c.ahead = true;
          ahead(top.src, next);
          top.ahead = end;
        }
      }
      const childRel = joinRel(top.rel, child.name);
      const src = openChildDir(top.src, child.name, childRel, 'source');
      let dst = -1;
      if (destination === 'required') {
        try {
          dst = openChildDir(top.dst, child.name, childRel, 'destination');
        } catch (error) {
          closeQuietly(src);
          throw error;
        }
      } else if (destination === 'optional' && top.dst >= 0 && !child.fresh) dst = openOptional(top.dst, child.name);
      const frame: Frame = { src, dst, rel: childRel, children: [], next: 0, ahead: 0 };
      stack.push(frame);
      frame.children = visit(src, dst, childRel, child.fresh, child.ahead === true);
    }
  } finally {
    if (stack.length > 0) {
      // Failed: the helper's answers no longer matter, only that it is done with the fds.
      abandonMeta(ctx);
      for (const frame of stack) closeAfterMeta(ctx, frame.src, frame.dst);
    }
  }
}

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = fs.constants;
/** How many of the next siblings `ahead` has heard of, at most. */
const AHEAD = 8;
const EMPTY_CHILD: Child = { name: Buffer.alloc(0), fresh: false };

/** Gives the unvisited subdirectory nearest the task's root to the pool. */
function shareOne(stack: Frame[], outbox: Outbox): void {
  for (const frame of stack) {
    if (frame.next < frame.children.length) {
      const child = frame.children.pop()!;
      outbox.handOff({ kind: 'dir', rel: joinRel(frame.rel, child.name), fresh: child.fresh });
      return;
    }
  }
}

/** The destination directory where it is a real directory now, else -1 (never an error). */
function openOptional(dirFd: number, name: Uint8Array): number {
  try {
    return fs.openSync(at(dirFd, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch {
    return -1;
  }
}

function openFrame(ctx: Ctx, rel: Uint8Array, destination: DestinationMode): Frame {
  const srcRoot = openRoot(ctx.job.source, 'source');
  let src = -1;
  try {
    src = openDirAt(srcRoot, rel, 'source');
  } finally {
    closeQuietly(srcRoot);
  }
  let dst = -1;
  if (destination !== 'none') {
    try {
      const dstRoot = openRoot(ctx.job.destination, 'destination');
      try {
        dst = openDirAt(dstRoot, rel, 'destination');
      } catch (error) {
        if (destination === 'required') throw error;
      } finally {
        closeQuietly(dstRoot);
      }
    } catch (error) {
      closeQuietly(src);
      throw error;
    }
  }
  return { src, dst, rel: Buffer.from(rel), children: [], next: 0, ahead: 0 };
}

/** The helper may still be applying metadata through these fds: they close once it answered. */
function closeFrame(ctx: Ctx, frame: Frame): void {
  closeAfterMeta(ctx, frame.src, frame.dst);
  frame.src = -1;
  frame.dst = -1;
}
