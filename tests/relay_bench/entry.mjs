// Bench-only (tests/relay_bench.rs, issue #16): the product's Worker exactly as it ships
// (src/js/entry.mjs, its wasm and its Durable Objects), plus the DO floor control of controls.mjs
// in the same `wrangler dev`, at one extra route. The same JavaScript DO relay measures about
// 0.15 ms slower per round trip inside the product's `wrangler dev` than inside the controls' own,
// even with the product's configuration copied over (docs/benchmarks.md#the-relay-against-its-floor);
// a floor measured in the product's own process leaves that difference out of the comparison.
// Started by the bench with a generated copy of wrangler.toml (`main` = this file, the ECHO
// binding added); never part of the product's Worker.
import ProductWorker from "../../src/js/entry.mjs";

export * from "../../src/js/entry.mjs";
export { EchoDo } from "./controls.mjs";

/// The route of the in-process floor control (the product has no route under /api/__bench).
const IN_PRODUCT_FLOOR = "/api/__bench/do/accept";

export default class BenchWorker extends ProductWorker {
  async fetch(request) {
    if (new URL(request.url).pathname === IN_PRODUCT_FLOOR) {
      return this.env.ECHO.get(this.env.ECHO.newUniqueId()).fetch(request);
    }
    return super.fetch(request);
  }
}
