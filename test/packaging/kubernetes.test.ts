// The DaemonSet manifest (packaging/kubernetes/netevd.yaml) against the
// Kubernetes OpenAPI schema (kubernetes-models' validators, generated from
// it), and what it must say: hostNetwork, only NET_ADMIN, config and scripts
// from ConfigMaps (scripts 0755), metrics annotated for Prometheus.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { loadConfigBytes } from "../../src/config/load";

const file = join(__dirname, "..", "..", "packaging", "kubernetes", "netevd.yaml");
const podMonitorFile = join(__dirname, "..", "..", "packaging", "kubernetes", "netevd-podmonitor.yaml");

// kubernetes-models is an ES module; this test file is CommonJS.
const models = async () => ({
  DaemonSet: (await import("kubernetes-models/apps/v1/DaemonSet")).DaemonSet,
  ConfigMap: (await import("kubernetes-models/v1/ConfigMap")).ConfigMap,
  PodMonitor: (await import("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor"))
    .PodMonitor,
  PrometheusRule: (
    await import("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule")
  ).PrometheusRule,
});
type Models = Awaited<ReturnType<typeof models>>;
type DaemonSetDoc = NonNullable<ConstructorParameters<Models["DaemonSet"]>[0]>;
type ConfigMapDoc = NonNullable<ConstructorParameters<Models["ConfigMap"]>[0]>;
type PodMonitorDoc = NonNullable<ConstructorParameters<Models["PodMonitor"]>[0]>;
type Pod = { kind: string; spec: { template: { spec: Record<string, unknown> } } };

// The kubelet reads YAML 1.1: 0755 is octal there.
const docs = (path = file): { kind: string }[] =>
  parseAllDocuments(readFileSync(path, "utf8"), { version: "1.1" }).map((d) => d.toJS() as { kind: string });

function validate(m: Models, doc: { kind: string }): void {
  if (doc.kind === "DaemonSet") new m.DaemonSet(doc as unknown as DaemonSetDoc).validate();
  else if (doc.kind === "ConfigMap") new m.ConfigMap(doc as unknown as ConfigMapDoc).validate();
  else if (doc.kind === "PodMonitor") new m.PodMonitor(doc as unknown as PodMonitorDoc).validate();
  else throw new Error(`unexpected kind ${doc.kind}`);
}

describe("Kubernetes manifest", () => {
  it("every object is valid for the Kubernetes OpenAPI schema, and a broken one is not", async () => {
    const m = await models();
    const all = docs();
    expect(all.map((d) => d.kind)).toEqual(["ConfigMap", "ConfigMap", "DaemonSet"]);
    for (const d of all) validate(m, d);
    const broken = structuredClone(all[2]) as Pod;
    broken.spec.template.spec.hostNetwork = "yes";
    expect(() => validate(m, broken)).toThrow(/hostNetwork/);
    const badPort = structuredClone(all[2]) as Pod;
    badPort.spec.template.spec.containers = [{ name: "netevd", ports: [{ containerPort: "x" }] }];
    expect(() => validate(m, badPort)).toThrow(/containerPort/);
  });

  it("runs on the node's network with only NET_ADMIN, config and 0755 scripts from ConfigMaps, metrics annotated", () => {
    const [config, scripts, ds] = docs() as unknown as [ConfigMapDoc, ConfigMapDoc, DaemonSetDoc];
    const pod = ds.spec?.template.spec;
    expect(pod?.hostNetwork).toBe(true);
    expect(pod?.automountServiceAccountToken).toBe(false);
    const c = pod?.containers[0];
    expect(c?.securityContext?.capabilities).toEqual({ drop: ["ALL"], add: ["NET_ADMIN"] });
    expect(c?.securityContext?.allowPrivilegeEscalation).toBe(false);
    expect(c?.securityContext?.privileged).toBeUndefined();
    const annotations = ds.spec?.template.metadata?.annotations ?? {};
    expect(annotations["prometheus.io/scrape"]).toBe("true");
    expect(annotations["prometheus.io/port"]).toBe("9171");
    expect(c?.ports).toEqual([{ name: "metrics", containerPort: 9171, protocol: "TCP" }]);
    const volumes = Object.fromEntries((pod?.volumes ?? []).map((v) => [v.name, v]));
    expect(volumes["routable-scripts"]?.configMap).toEqual({
      name: scripts.metadata?.name,
      defaultMode: 0o755,
    });
    expect(volumes.config?.configMap?.name).toBe(config.metadata?.name);
    const mounts = Object.fromEntries((c?.volumeMounts ?? []).map((v) => [v.name, v.mountPath]));
    expect(mounts).toMatchObject({
      config: "/etc/netevd/netevd.yaml",
      "routable-scripts": "/etc/netevd/routable.d",
    });
    // The ConfigMap's configuration is one netevd accepts, with metrics on the annotated port.
    const loaded = loadConfigBytes("netevd.yaml", Buffer.from(config.data?.["netevd.yaml"] ?? ""));
    expect(loaded.diagnostics).toEqual([]);
    expect(loaded.config?.metrics.listen).toBe("0.0.0.0:9171");
    expect(loaded.config?.api.socket.startsWith(`${mounts.run}/`)).toBe(true);
    for (const body of Object.values(scripts.data ?? {})) expect(body.startsWith("#!/bin/sh\n")).toBe(true);
  });

  it("a PodMonitor for the Prometheus Operator: valid for its schema, scraping the DaemonSet's metrics port as job netevd", async () => {
    const m = await models();
    const [pm] = docs(podMonitorFile) as unknown as [PodMonitorDoc & { kind: string }];
    expect(pm.kind).toBe("PodMonitor");
    validate(m, pm);
    const broken = structuredClone(pm) as unknown as { spec: { podMetricsEndpoints: unknown } };
    broken.spec.podMetricsEndpoints = "metrics";
    expect(() => validate(m, broken as unknown as { kind: string })).toThrow(/podMetricsEndpoints/);
    const ds = docs()[2] as unknown as DaemonSetDoc;
    const podLabels = ds.spec?.template.metadata?.labels ?? {};
    expect(podLabels).toMatchObject(pm.spec.selector.matchLabels ?? {});
    expect(pm.metadata?.namespace).toBe(ds.metadata?.namespace);
    expect(pm.spec.namespaceSelector?.matchNames).toEqual([ds.metadata?.namespace]);
    const ports = ds.spec?.template.spec?.containers[0]?.ports?.map((p) => p.name);
    expect(ports).toContain(pm.spec.podMetricsEndpoints?.[0]?.port);
    // The job label the shipped rules expect comes from the pods' label named by jobLabel.
    expect(podLabels[pm.spec.jobLabel ?? ""]).toBe("netevd");
  });

  it("the shipped Prometheus rules wrapped as docs/operations.md shows are a valid PrometheusRule", async () => {
    const m = await models();
    const rules = readFileSync(
      join(__dirname, "..", "..", "packaging", "prometheus", "netevd-rules.yml"),
      "utf8",
    );
    const wrapped = `apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: netevd, namespace: kube-system}
spec:
${rules.replace(/^/gm, "  ")}`;
    const doc = parseAllDocuments(wrapped)[0]!.toJS() as ConstructorParameters<Models["PrometheusRule"]>[0];
    new m.PrometheusRule(doc).validate();
    expect(doc?.spec.groups?.flatMap((g) => g.rules ?? []).filter((r) => r.alert)).toHaveLength(12);
    const docs = readFileSync(join(__dirname, "..", "..", "docs", "operations.md"), "utf8");
    expect(docs).toContain("sed 's/^/  /' /usr/share/netevd/prometheus/netevd-rules.yml");
  });
});
