/**
 * infra/k8s, validated offline: every resource of the base and of each overlay against the
 * Kubernetes and KEDA schemas (kubernetes-models, @kubernetes-models/keda), the probes, budgets,
 * requests and Secret references every service needs, and the KEDA list names against the keys
 * BullMQ really writes (a job added through @mailhook/queue on a real Redis).
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { ScaledObject, TriggerAuthentication } from "@kubernetes-models/keda/keda.sh/v1alpha1";
import { createProducer, jobCatalog } from "@mailhook/queue";
import { Redis } from "ioredis";
import { Deployment } from "kubernetes-models/apps/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Secret, Service } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { type Resource, readYamlDocs, render } from "./support/kustomize.js";
import { useWorld } from "./support/world.js";

const K8S = join(import.meta.dirname, "..", "infra", "k8s");
const OVERLAYS = readdirSync(join(K8S, "overlays"));
const TARGETS: [string, string][] = [
  ["base", join(K8S, "base")],
  ...OVERLAYS.map((o): [string, string] => [o, join(K8S, "overlays", o)]),
];

type Model = new (data: never) => { validate(): void };
const MODELS: Record<string, Model> = {
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "keda.sh/v1alpha1/ScaledObject": ScaledObject,
  "keda.sh/v1alpha1/TriggerAuthentication": TriggerAuthentication,
};

interface Container {
  name: string;
  args?: string[];
  ports?: { name: string; containerPort: number }[];
  envFrom?: { secretRef?: { name: string }; configMapRef?: { name: string } }[];
  env?: { name: string; value?: string }[];
  resources?: { requests?: { cpu?: string; memory?: string } };
  startupProbe?: { httpGet?: { path: string; port: string } };
  readinessProbe?: { httpGet?: { path: string; port: string } };
  livenessProbe?: { httpGet?: { path: string; port: string } };
}
interface DeploymentSpec {
  replicas?: number;
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string> }; spec: { containers: Container[] } };
}
interface Trigger {
  type: string;
  metadata: Record<string, string>;
}

const byKind = (rs: Resource[], kind: string) => rs.filter((r) => r.kind === kind);
const world = useWorld();

describe.each(TARGETS)("infra/k8s %s", (_name, dir) => {
  const resources = render(dir);

  it("validates every resource against the Kubernetes and KEDA schemas", () => {
    expect(resources.length).toBeGreaterThanOrEqual(9);
    for (const r of resources) {
      const Model = MODELS[`${r.apiVersion}/${r.kind}`];
      expect(Model, `a schema for ${r.apiVersion} ${r.kind}`).toBeDefined();
      expect(() => new Model!(r as never).validate(), `${r.kind} ${r.metadata.name}`).not.toThrow();
    }
  });

  it("gives api, watcher and worker probes, requests, Secret refs and a PodDisruptionBudget", () => {
    const deployments = byKind(resources, "Deployment");
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual([
      "mailhook-api",
      "mailhook-watcher",
      "mailhook-worker",
    ]);
    const config = byKind(resources, "ConfigMap").find((c) => c.metadata.name === "mailhook")!;
    const configData = config.data as Record<string, string>;
    for (const d of deployments) {
      const spec = d.spec as DeploymentSpec;
      const role = d.metadata.name.replace("mailhook-", "");
      expect(spec.template.metadata.labels).toMatchObject(spec.selector.matchLabels);
      const [c] = spec.template.spec.containers;
      expect(c!.args).toEqual([`services/${role}/dist/main.js`]);
      expect(c!.resources?.requests?.cpu).toBeTruthy();
      expect(c!.resources?.requests?.memory).toBeTruthy();
      expect(c!.envFrom?.some((e) => e.secretRef?.name === "mailhook")).toBe(true);
      // Secrets only through the Secret: no literal values in the manifests.
      expect(c!.env ?? []).toEqual([]);
      const ports = new Map((c!.ports ?? []).map((p) => [p.name, p.containerPort]));
      for (const probe of [c!.startupProbe, c!.readinessProbe, c!.livenessProbe]) {
        expect(probe?.httpGet, `${role} probes`).toBeDefined();
        expect(ports.has(probe!.httpGet!.port)).toBe(true);
      }
      // The port the probes ask is the one the service listens on (ConfigMap).
      const expected = role === "api" ? configData.API_PORT : configData.HEALTH_PORT;
      expect(String(ports.get(c!.readinessProbe!.httpGet!.port))).toBe(expected);
      const pdb = byKind(resources, "PodDisruptionBudget").find((p) => p.metadata.name === d.metadata.name);
      expect(pdb, `${d.metadata.name} PodDisruptionBudget`).toBeDefined();
      expect((pdb!.spec as { selector: { matchLabels: object } }).selector.matchLabels).toEqual(
        spec.selector.matchLabels,
      );
    }
    expect(configData.API_HOST).toBe("0.0.0.0");
    expect(configData.HEALTH_HOST).toBe("0.0.0.0");
  });

  it("scales workers with KEDA on the wait lists of every queue the worker consumes", async () => {
    const [so] = byKind(resources, "ScaledObject");
    const spec = so!.spec as {
      scaleTargetRef: { name: string };
      minReplicaCount: number;
      triggers: Trigger[];
    };
    expect(spec.scaleTargetRef.name).toBe("mailhook-worker");
    const prefix = (byKind(resources, "ConfigMap")[0]!.data as Record<string, string>).MAILHOOK_PREFIX!;
    const lists = spec.triggers.map((t) => t.metadata.listName).sort();
    // The keys BullMQ writes for a waiting job, read back from a real Redis.
    const redis = new Redis(world.redis.url);
    try {
      const written: string[] = [];
      for (const name of Object.keys(jobCatalog) as (keyof typeof jobCatalog)[]) {
        const producer = createProducer(name, { connection: { url: world.redis.url }, prefix });
        await producer.queue.add("probe", {});
        await producer.close();
        const waiting = (await redis.keys("*:wait")).filter((k) => k.includes(`:${name}:`));
        expect(waiting).toHaveLength(1);
        expect(await redis.type(waiting[0]!)).toBe("list");
        written.push(waiting[0]!);
      }
      expect(lists).toEqual(written.sort());
    } finally {
      await redis.flushall();
      redis.disconnect();
    }
    for (const t of spec.triggers) {
      expect(["redis", "redis-cluster"]).toContain(t.type);
      expect(Number(t.metadata.listLength)).toBeGreaterThan(0);
      expect(t.metadata.activationListLength).toBe("0");
    }
    if (dir.endsWith("base")) expect(spec.minReplicaCount).toBe(0);
  });
});

it("secret.example.yaml is a valid Secret holding the keys the manifests and KEDA read", () => {
  const [secret] = readYamlDocs(join(K8S, "base", "secret.example.yaml"));
  expect(() => new Secret(secret as never).validate()).not.toThrow();
  expect(Object.keys(secret!.stringData as object).sort()).toEqual([
    "MAILHOOK_ADMIN_TOKEN",
    "MAILHOOK_ENCRYPTION_KEYS",
    "REDIS_PASSWORD",
    "REDIS_URL",
  ]);
});
