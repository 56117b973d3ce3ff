// @mailhook/model's index also exports the delivery-id hashes (node:crypto). The console bundles
// the rule language, which imports that index for plain data only; the hashes never run in the
// browser, and if one ever did it would fail loudly here instead of hashing differently.
export function createHash(): never {
  throw new Error("node:crypto is not available in the console");
}
