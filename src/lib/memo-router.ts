/**
 * The app's router: Hono's TrieRouter with its answers remembered per method and path.
 *
 * Hono's fastest router (RegExpRouter) refuses this API's routes: a literal segment beside a
 * parameter at the same place (`/users/me` and `/users/{id}`) is a path it cannot compile, so
 * Hono's default SmartRouter falls back to the TrieRouter, which walks its tree on every request
 * (about 7 % of the CPU profile's samples on `GET /users/me`; docs/decisions.md, "Hot path"). The
 * same method and path always get the same answer, so it is computed once and looked up after;
 * RegExpRouter hands out shared answers for its static paths the same way, so nothing downstream
 * changes them. At most `MAX_ENTRIES` are kept, then the memo starts over: paths that carry ids are
 * many and each is seen rarely, the static paths are few and come back at once.
 */
import type { Result, Router } from "hono/router";
import { TrieRouter } from "hono/router/trie-router";

export const MAX_ENTRIES = 1024;

export class MemoRouter<T> implements Router<T> {
  readonly name = "MemoRouter + TrieRouter";
  readonly #inner = new TrieRouter<T>();
  readonly #answers = new Map<string, Result<T>>();

  add(method: string, path: string, handler: T): void {
    // A route added after requests were answered would not be in the remembered answers.
    this.#answers.clear();
    this.#inner.add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    const key = `${method} ${path}`;
    let answer = this.#answers.get(key);
    if (answer === undefined) {
      answer = this.#inner.match(method, path);
      if (this.#answers.size >= MAX_ENTRIES) this.#answers.clear();
      this.#answers.set(key, answer);
    }
    return answer;
  }

  /** Remembered answers (for tests). */
  get size(): number {
    return this.#answers.size;
  }
}
