/**
 * A small offline renderer for the subset of kustomize that infra/k8s uses — resources (files or
 * directories), namespace, images, replicas, labels (metadata only) and patches (merge patches by
 * kind + name; lists of named items merged by name, other lists replaced) — so `npm test` can
 * validate every overlay without a kustomize binary. A kustomization using any other field fails
 * the render instead of being validated half-way.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

export type Resource = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
};

const SUPPORTED = new Set([
  "apiVersion",
  "kind",
  "resources",
  "namespace",
  "images",
  "replicas",
  "labels",
  "patches",
]);

interface Kustomization {
  resources?: string[];
  namespace?: string;
  images?: { name: string; newName?: string; newTag?: string }[];
  replicas?: { name: string; count: number }[];
  labels?: { pairs: Record<string, string> }[];
  patches?: { path: string }[];
}

export function readYamlDocs(file: string): Resource[] {
  return parseAllDocuments(readFileSync(file, "utf8")).map((d) => {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]!.message}`);
    return d.toJS() as Resource;
  });
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const named = (l: unknown[]) => l.every((i) => isObject(i) && typeof i.name === "string");

export function merge(base: unknown, patch: unknown): unknown {
  if (isObject(base) && isObject(patch)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = k in base ? merge(base[k], v) : v;
    return out;
  }
  if (Array.isArray(base) && Array.isArray(patch) && named(base) && named(patch)) {
    const out = [...base] as Record<string, unknown>[];
    for (const p of patch as Record<string, unknown>[]) {
      const i = out.findIndex((b) => b.name === p.name);
      if (i >= 0) out[i] = merge(out[i], p) as Record<string, unknown>;
      else out.push(p);
    }
    return out;
  }
  return patch;
}

function containersOf(r: Resource): { image?: string }[] {
  const spec = (r.spec as { template?: { spec?: { containers?: { image?: string }[] } } } | undefined)
    ?.template?.spec;
  return spec?.containers ?? [];
}

/** Renders the kustomization in `dir` into the list of resources `kubectl apply -k` would send. */
export function render(dir: string): Resource[] {
  const k = readYamlDocs(join(dir, "kustomization.yaml"))[0] as unknown as Kustomization;
  const unknown = Object.keys(k).filter((key) => !SUPPORTED.has(key));
  if (unknown.length > 0)
    throw new Error(`${dir}/kustomization.yaml uses ${unknown.join(", ")}: not rendered here`);
  let out: Resource[] = [];
  for (const entry of k.resources ?? []) {
    const path = join(dir, entry);
    out.push(...(statSync(path).isDirectory() ? render(path) : readYamlDocs(path)));
  }
  for (const p of k.patches ?? []) {
    for (const patch of readYamlDocs(join(dir, p.path))) {
      const i = out.findIndex((r) => r.kind === patch.kind && r.metadata.name === patch.metadata.name);
      if (i < 0) throw new Error(`${dir}/${p.path}: no ${patch.kind} ${patch.metadata.name} to patch`);
      out[i] = merge(out[i], patch) as Resource;
    }
  }
  for (const rep of k.replicas ?? []) {
    const r = out.find((x) => x.metadata.name === rep.name && x.kind === "Deployment");
    if (!r) throw new Error(`${dir}: replicas for unknown Deployment ${rep.name}`);
    (r.spec as { replicas?: number }).replicas = rep.count;
  }
  for (const img of k.images ?? []) {
    for (const r of out)
      for (const c of containersOf(r)) {
        const [name, tag] = (c.image ?? "").split(":");
        if (name !== img.name) continue;
        c.image = `${img.newName ?? name}:${img.newTag ?? tag ?? "latest"}`;
      }
  }
  for (const l of k.labels ?? [])
    out = out.map((r) => ({
      ...r,
      metadata: { ...r.metadata, labels: { ...r.metadata.labels, ...l.pairs } },
    }));
  if (k.namespace) out = out.map((r) => ({ ...r, metadata: { ...r.metadata, namespace: k.namespace } }));
  return out;
}
