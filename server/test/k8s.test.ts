// Kubernetes manifests: every YAML parses; every object validates against the Kubernetes OpenAPI schema
// of its apiVersion and kind (kubernetes-models); kustomization.yaml names every file and only existing
// ones (and, with kubectl at hand, builds); the references between objects hold (Services to pods,
// Ingress to Services, Secrets and ConfigMaps, the worker names of synapse/shared.yaml to the pods).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { init, parseEnvFile } from '../scripts/init.ts';
import { templateVariables } from '../scripts/render-config.mjs';
import { composeFile, type K8sObject, k8sDir, listFiles, serverDir, yamlDocuments } from './helpers.ts';

interface Kustomization {
  resources: string[];
  configMapGenerator: { name: string; envs?: string[]; files?: string[] }[];
  images: { name: string }[];
}

const kustomization = yamlDocuments(join(k8sDir, 'kustomization.yaml'))[0] as Kustomization;
const objectsOf = (file: string) => yamlDocuments(join(k8sDir, file)) as K8sObject[];
const objects = kustomization.resources.flatMap(objectsOf);
const exampleSecrets = objectsOf('secrets.example.yaml');
const generated = new Map(kustomization.configMapGenerator.map((g) => [g.name, g]));

/** The model class kubernetes-models has for an apiVersion and kind ("apps/v1" -> kubernetes-models/apps/v1). */
async function modelFor(apiVersion: string, kind: string) {
  // biome-ignore lint/suspicious/noExplicitAny: the module is chosen by apiVersion at run time
  const module: Record<string, any> = await import(`kubernetes-models/${apiVersion}`);
  const Model = module[kind];
  assert.ok(Model, `kubernetes-models has no ${kind} in ${apiVersion}`);
  return Model as new (
    data: unknown,
  ) => { validate(): void };
}

/**
 * Fields the schema does not know (a typo such as `resourcez` passes the schema, which allows extra
 * properties, but the API server rejects it under kubectl's strict field validation). The generated
 * validator reads every property its schema defines, and enumerates the keys of free-form maps (labels,
 * data, resources...): a key of a non-map object that it never read is unknown.
 */
function unknownFields(model: { validate(): void }): string[] {
  const seen = new Map<object, { path: string; read: Set<string>; enumerated: boolean }>();
  const proxies = new WeakMap<object, object>();
  const wrap = (value: unknown, path: string): unknown => {
    if (!value || typeof value !== 'object') return value;
    const cached = proxies.get(value);
    if (cached) return cached;
    const info = { path, read: new Set<string>(), enumerated: false };
    if (!Array.isArray(value)) seen.set(value, info);
    const proxy = new Proxy(value, {
      get(target, key, receiver) {
        const child = Reflect.get(target, key, receiver);
        if (typeof key !== 'string' || typeof child === 'function') return child;
        if (!Array.isArray(target)) info.read.add(key);
        return Object.hasOwn(target, key) ? wrap(child, `${path}/${key}`) : child;
      },
      ownKeys(target) {
        info.enumerated = true;
        return Reflect.ownKeys(target);
      },
    });
    proxies.set(value, proxy);
    return proxy;
  };
  model.validate.call(wrap(model, ''));
  const unknown: string[] = [];
  for (const [target, info] of seen) {
    if (info.enumerated) continue;
    for (const key of Object.keys(target)) if (!info.read.has(key)) unknown.push(`${info.path}/${key}`);
  }
  return unknown;
}

async function validate(object: K8sObject, where: string) {
  const Model = await modelFor(object.apiVersion, object.kind);
  const model = new Model(object);
  try {
    model.validate();
  } catch (error) {
    assert.fail(`${where}: ${object.kind} ${object.metadata?.name}: ${(error as Error).message}`);
  }
  assert.deepEqual(
    unknownFields(model),
    [],
    `${where}: ${object.kind} ${object.metadata?.name}: unknown fields`,
  );
}

// biome-ignore lint/suspicious/noExplicitAny: pod specs are walked generically
const workloads = objects.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind)) as any[];
// biome-ignore lint/suspicious/noExplicitAny: containers are walked generically
const containersOf = (w: any): any[] => [
  ...(w.spec.template.spec.initContainers ?? []),
  ...w.spec.template.spec.containers,
];
const byKindName = (kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);

describe('server/k8s', () => {
  test('every YAML file parses', () => {
    for (const file of listFiles(k8sDir).filter((f) => /\.ya?ml$/.test(f))) yamlDocuments(join(k8sDir, file));
    for (const file of ['docker-compose.yml', 'homeserver.yaml', 'synapse/log.config']) {
      yamlDocuments(join(serverDir, file));
    }
  });

  test('the strict check finds a misspelt field', async () => {
    const Model = await modelFor('v1', 'Pod');
    const pod = new Model({
      metadata: { name: 'x' },
      spec: { containers: [{ name: 'c', image: 'i', resourcez: {} }] },
    });
    assert.deepEqual(unknownFields(pod), ['/spec/containers/0/resourcez']);
  });

  test('every object validates against the Kubernetes schema of its apiVersion and kind, with no unknown field', async () => {
    for (const file of [...kustomization.resources, 'secrets.example.yaml']) {
      for (const object of objectsOf(file)) await validate(object, file);
    }
  });

  test('kustomization.yaml names every file and only existing ones', () => {
    const named = new Set([
      ...kustomization.resources,
      ...kustomization.configMapGenerator.flatMap((g) => [...(g.envs ?? []), ...(g.files ?? [])]),
    ]);
    for (const file of named)
      assert.ok(existsSync(join(k8sDir, file)), `kustomization.yaml names ${file}, which does not exist`);
    // secrets.example.yaml is the one file on purpose not applied (see kustomization.yaml);
    // secrets.yaml is server:init's git-ignored output.
    const unnamed = listFiles(k8sDir).filter(
      (file) =>
        !named.has(file) &&
        !['kustomization.yaml', 'README.md', 'secrets.example.yaml', 'secrets.yaml'].includes(file),
    );
    assert.deepEqual(unnamed, [], `files kustomization.yaml does not name: ${unnamed.join(', ')}`);
  });

  test('kubectl kustomize builds it, DOMAIN into the ingress hosts, and the result validates', async (t) => {
    if (spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status !== 0) {
      t.skip('kubectl is not installed');
      return;
    }
    const built = spawnSync('kubectl', ['kustomize', k8sDir], { encoding: 'utf8' });
    assert.equal(built.status, 0, built.stderr);
    const docs = parseAllDocuments(built.stdout).map((d) => d.toJS() as K8sObject);
    const domain = parseEnvFile(readFileSync(join(k8sDir, 'config.env'), 'utf8')).get('DOMAIN');
    for (const doc of docs) {
      await validate(doc, 'kubectl kustomize');
      if (doc.kind === 'Ingress') {
        for (const rule of doc.spec.rules)
          assert.ok([`matrix.${domain}`, domain].includes(rule.host), rule.host);
        assert.deepEqual(doc.spec.tls[0].hosts, [`matrix.${domain}`, domain]);
      }
    }
    assert.equal(docs.filter((d) => d.kind === 'ConfigMap').length, 2);
  });

  test('every container has resource requests and limits', () => {
    for (const workload of workloads) {
      for (const container of containersOf(workload)) {
        const where = `${workload.metadata.name}/${container.name}`;
        for (const kind of ['requests', 'limits']) {
          assert.ok(container.resources?.[kind]?.cpu, `${where}: ${kind}.cpu`);
          assert.ok(container.resources?.[kind]?.memory, `${where}: ${kind}.memory`);
        }
      }
    }
  });

  test('PostgreSQL (both deployments) keeps commits durable: no synchronous_commit=off or fsync=off', () => {
    const args = [
      ...workloads
        .flatMap((workload) => containersOf(workload))
        .filter((container) => container.name === 'postgres')
        .flatMap((container) => [...(container.args ?? []), ...(container.command ?? [])]),
      ...(composeFile().services.postgres?.command ?? []),
    ].map(String);
    assert.ok(
      args.some((arg) => arg.startsWith('max_connections=')),
      'the postgres settings were found',
    );
    for (const unsafe of [/^synchronous_commit=(off|local)$/, /^fsync=off$/, /^full_page_writes=off$/]) {
      assert.deepEqual(
        args.filter((arg) => unsafe.test(arg)),
        [],
        'a crash would lose messages Synapse had acknowledged',
      );
    }
  });

  test('every pod runs as a non-root user without privilege escalation', () => {
    for (const workload of workloads) {
      const pod = workload.spec.template.spec;
      assert.equal(pod.securityContext?.runAsNonRoot, true, workload.metadata.name);
      assert.ok(pod.securityContext.runAsUser > 0, workload.metadata.name);
      for (const container of containersOf(workload)) {
        assert.equal(container.securityContext?.allowPrivilegeEscalation, false, container.name);
      }
    }
  });

  test('the gateway: Deployment with readiness and liveness probes, HPA and PDB on it', () => {
    const deployment = byKindName('Deployment', 'clawdbot')!;
    const container = deployment.spec.template.spec.containers[0];
    assert.equal(container.readinessProbe.httpGet.path, '/readyz');
    assert.equal(container.livenessProbe.httpGet.path, '/healthz');
    const hpa = byKindName('HorizontalPodAutoscaler', 'clawdbot')!;
    assert.deepEqual(hpa.spec.scaleTargetRef, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'clawdbot',
    });
    assert.ok(hpa.spec.minReplicas >= 2);
    const pdb = byKindName('PodDisruptionBudget', 'clawdbot')!;
    assert.deepEqual(pdb.spec.selector.matchLabels, deployment.spec.selector.matchLabels);
    const env = Object.fromEntries(
      container.env.map((e: { name: string; value?: string }) => [e.name, e.value]),
    );
    assert.equal(env.GATEWAY_REGISTRATION_FILE, '/appservices/clawdbot.yaml');
    assert.equal(env.GATEWAY_PORT, '9000');
  });

  test('Services select pods and name their ports; the ingress routes to Services that exist', () => {
    for (const service of objects.filter((o) => o.kind === 'Service')) {
      const selector = service.spec.selector as Record<string, string>;
      const pods = workloads.filter((w) =>
        Object.entries(selector).every(([k, v]) => w.spec.template.metadata.labels[k] === v),
      );
      assert.equal(pods.length, 1, `Service ${service.metadata.name} selects ${pods.length} workloads`);
      const ports = new Set(
        pods[0].spec.template.spec.containers.flatMap((c: { ports?: { name: string }[] }) =>
          (c.ports ?? []).map((p) => p.name),
        ),
      );
      for (const port of service.spec.ports)
        assert.ok(ports.has(port.targetPort), `${service.metadata.name}: ${port.targetPort}`);
    }
    for (const ingress of objects.filter((o) => o.kind === 'Ingress')) {
      for (const rule of ingress.spec.rules) {
        for (const path of rule.http.paths) {
          const service = byKindName('Service', path.backend.service.name);
          assert.ok(service, `${ingress.metadata.name}: no Service ${path.backend.service.name}`);
          assert.ok(
            service.spec.ports.some((p: { name: string }) => p.name === path.backend.service.port.name),
          );
        }
      }
    }
  });

  test('the routing follows workers.md: /sync to sync workers, media to the media worker, the rest to main', () => {
    const route = (path: string) => {
      const matches = objects
        .filter((o) => o.kind === 'Ingress')
        .flatMap((i) => i.spec.rules.flatMap((r: { http: { paths: unknown[] } }) => r.http.paths))
        .filter((p: { path: string }) => new RegExp(`^${p.path}`, 'i').test(path))
        // ingress-nginx tries the longest path first
        .sort((a: { path: string }, b: { path: string }) => b.path.length - a.path.length);
      return (matches[0] as { backend: { service: { name: string } } } | undefined)?.backend.service.name;
    };
    assert.equal(route('/_matrix/client/v3/sync'), 'synapse-sync');
    assert.equal(route('/_matrix/client/v3/rooms/!a:x/send/m.room.message/1'), 'synapse-client');
    assert.equal(route('/_matrix/client/v3/login'), 'synapse-client');
    assert.equal(route('/_matrix/client/v3/keys/query'), 'synapse-client');
    assert.equal(route('/_matrix/media/v3/upload'), 'synapse-media');
    assert.equal(route('/_matrix/client/v1/media/download/x/y'), 'synapse-media');
    assert.equal(route('/_matrix/client/v3/rooms/!a:x/typing/@u:x'), 'synapse-main');
    assert.equal(route('/_matrix/client/v3/keys/upload'), 'synapse-main');
    assert.equal(route('/_matrix/client/v3/rooms/!a:x/messages'), 'synapse-main');
    assert.equal(route('/_synapse/admin/v1/users'), undefined);
  });

  test('ConfigMaps and Secrets the pods use exist (generated, or in secrets.example.yaml)', () => {
    const secrets = new Map(exampleSecrets.map((s) => [s.metadata.name, Object.keys(s.stringData)]));
    for (const workload of workloads) {
      const pod = workload.spec.template.spec;
      for (const volume of pod.volumes ?? []) {
        if (volume.secret) assert.ok(secrets.has(volume.secret.secretName), volume.secret.secretName);
        if (volume.configMap) assert.ok(generated.has(volume.configMap.name), volume.configMap.name);
      }
      for (const container of containersOf(workload)) {
        for (const from of container.envFrom ?? []) {
          if (from.secretRef) assert.ok(secrets.has(from.secretRef.name), from.secretRef.name);
          if (from.configMapRef) assert.ok(generated.has(from.configMapRef.name), from.configMapRef.name);
        }
        for (const env of container.env ?? []) {
          const ref = env.valueFrom?.secretKeyRef;
          if (ref) assert.ok(secrets.get(ref.name)?.includes(ref.key), `${ref.name}.${ref.key}`);
          const cm = env.valueFrom?.configMapKeyRef;
          if (cm) {
            const keys = parseEnvFile(readFileSync(join(k8sDir, generated.get(cm.name)!.envs![0]!), 'utf8'));
            assert.ok(keys.has(cm.key), `${cm.name}.${cm.key}`);
          }
        }
      }
    }
  });

  test('the synapse pods render every template variable from the config, the Secret or their env', () => {
    const config = parseEnvFile(readFileSync(join(k8sDir, 'config.env'), 'utf8'));
    const secret = exampleSecrets.find((s) => s.metadata.name === 'clawchat-secrets')!;
    const synapseWorkloads = workloads.filter(
      (w) => w.metadata.labels['app.kubernetes.io/name'] === 'synapse',
    );
    assert.equal(synapseWorkloads.length, 5);
    // Workers wait for the main process (its database migrations) before starting.
    for (const workload of synapseWorkloads.filter((w) => w.metadata.name !== 'synapse-main')) {
      assert.equal(workload.spec.template.spec.initContainers[0].name, 'wait-for-main');
    }
    for (const workload of synapseWorkloads) {
      const init = workload.spec.template.spec.initContainers.find(
        (c: { name: string }) => c.name === 'config',
      );
      const script: string = init.command.join(' ');
      const templates = [...script.matchAll(/\/templates\/([\w.-]+\.yaml)/g)].map((m) => m[1]!);
      const provided = new Set([
        ...config.keys(),
        ...Object.keys(secret.stringData),
        ...init.env.map((e: { name: string }) => e.name),
      ]);
      for (const template of templates.filter((t) => !t.startsWith('/'))) {
        const text = readFileSync(join(k8sDir, 'synapse', template), 'utf8');
        for (const [name, hasDefault] of templateVariables(text)) {
          if (!hasDefault)
            assert.ok(provided.has(name), `${workload.metadata.name}: ${template} needs ${name}`);
        }
      }
    }
  });

  test('every $(VAR) in an env value names a variable defined before it (env or envFrom)', () => {
    const secrets = new Map(exampleSecrets.map((s) => [s.metadata.name, Object.keys(s.stringData)]));
    const config = [...parseEnvFile(readFileSync(join(k8sDir, 'config.env'), 'utf8')).keys()];
    for (const workload of workloads) {
      for (const container of containersOf(workload)) {
        const defined = new Set<string>(
          (container.envFrom ?? []).flatMap(
            (from: { secretRef?: { name: string }; configMapRef?: { name: string } }) =>
              from.secretRef ? (secrets.get(from.secretRef.name) ?? []) : from.configMapRef ? config : [],
          ),
        );
        for (const env of container.env ?? []) {
          for (const [, name] of String(env.value ?? '').matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
            assert.ok(
              defined.has(name!),
              `${workload.metadata.name}/${container.name}: ${env.name} uses $(${name})`,
            );
          }
          defined.add(env.name);
        }
      }
    }
  });

  test('DOMAIN/.well-known/matrix goes to synapse-main, which serves both files (client discovery too)', () => {
    const shared = yamlDocuments(join(k8sDir, 'synapse', 'shared.yaml'))[0] as Record<string, unknown>;
    const routes = objects
      .filter((o) => o.kind === 'Ingress')
      .flatMap((o) => o.spec.rules)
      .filter((rule: { host: string }) => rule.host === 'DOMAIN')
      .flatMap((rule: { http: { paths: unknown[] } }) => rule.http.paths) as Array<{
      path: string;
      backend: { service: { name: string } };
    }>;
    const wellKnown = routes.find((route) => route.path === '/.well-known/matrix');
    assert.equal(wellKnown?.backend.service.name, 'synapse-main');
    // Without these Synapse answers 404, and clients cannot discover matrix.DOMAIN from DOMAIN.
    assert.equal(shared.serve_client_wellknown, true);
    assert.equal(shared.serve_server_wellknown, true);
  });

  test('synapse/shared.yaml names the pods that exist: event persisters, media worker, main', () => {
    const shared = yamlDocuments(join(k8sDir, 'synapse', 'shared.yaml'))[0] as {
      instance_map: Record<string, { host: string; port: number }>;
      stream_writers: { events: string[] };
      media_instance_running_background_jobs: string;
    };
    const persisters = byKindName('StatefulSet', 'synapse-event-persister')!;
    for (const writer of shared.stream_writers.events) {
      const ordinal = Number(/^synapse-event-persister-(\d+)$/.exec(writer)?.[1]);
      assert.ok(
        ordinal < persisters.spec.replicas,
        `${writer}: the StatefulSet has ${persisters.spec.replicas} pods`,
      );
      assert.equal(shared.instance_map[writer]!.host, `${writer}.${persisters.spec.serviceName}`);
    }
    assert.equal(shared.stream_writers.events.length, persisters.spec.replicas);
    assert.equal(byKindName('Service', persisters.spec.serviceName)!.spec.clusterIP, 'None');
    assert.equal(shared.instance_map.main!.host, 'synapse-main');
    assert.ok(
      byKindName('Service', 'synapse-main')!.spec.ports.some(
        (p: { port: number }) => p.port === shared.instance_map.main!.port,
      ),
    );
    assert.equal(
      shared.media_instance_running_background_jobs,
      `${byKindName('StatefulSet', 'synapse-media')!.metadata.name}-0`,
    );
  });

  test('the registration is mounted where homeserver.yaml and the gateway look for it', () => {
    for (const workload of workloads.filter((w) =>
      ['synapse', 'clawdbot'].includes(w.metadata.labels['app.kubernetes.io/name']),
    )) {
      const pod = workload.spec.template.spec;
      const volume = pod.volumes.find(
        (v: { secret?: { secretName: string } }) => v.secret?.secretName === 'clawdbot-registration',
      );
      assert.ok(volume, workload.metadata.name);
      const mounted = pod.containers
        .flatMap((c: { volumeMounts: { name: string; mountPath: string }[] }) => c.volumeMounts)
        .find((m: { name: string }) => m.name === volume.name);
      assert.equal(mounted.mountPath, '/appservices', workload.metadata.name);
      if (workload.metadata.labels['app.kubernetes.io/name'] === 'synapse') {
        const config = pod.initContainers.find((c: { name: string }) => c.name === 'config');
        const dir = config.env.find((e: { name: string }) => e.name === 'SYNAPSE_APPSERVICE_DIR');
        assert.equal(dir.value, '/appservices');
      }
    }
    const registration = exampleSecrets.find((s) => s.metadata.name === 'clawdbot-registration')!;
    assert.deepEqual(Object.keys(registration.stringData), ['clawdbot.yaml']);
  });

  test('Compose and Kubernetes run the same Synapse image', () => {
    const image = composeFile().services.synapse!.image;
    for (const workload of workloads.filter(
      (w) => w.metadata.labels['app.kubernetes.io/name'] === 'synapse',
    )) {
      assert.equal(workload.spec.template.spec.containers[0].image, image);
    }
  });

  test('server:init --k8s writes the Secrets of secrets.example.yaml, filled, and keeps the signing key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clawchat-k8s-'));
    try {
      const first = init({ outDir: dir, domain: 'chat.example.org', k8s: true });
      const written = yamlDocuments(first.secretsPath!) as K8sObject[];
      assert.deepEqual(
        written.map((s) => [s.metadata.name, Object.keys(s.stringData).sort()]),
        exampleSecrets.map((s) => [s.metadata.name, Object.keys(s.stringData).sort()]),
      );
      for (const secret of written) await validate(secret, 'secrets.yaml');
      const key = written.find((s) => s.metadata.name === 'synapse-signing-key')!.stringData['signing.key'];
      assert.match(key, /^ed25519 a_[0-9a-f]{4} [A-Za-z0-9+/]{43}\n$/);
      init({ outDir: dir, k8s: true });
      const again = yamlDocuments(first.secretsPath!) as K8sObject[];
      assert.equal(
        again.find((s) => s.metadata.name === 'synapse-signing-key')!.stringData['signing.key'],
        key,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("each Synapse pod's init container script renders its three files, as in the pod", () => {
    const dir = mkdtempSync(join(tmpdir(), 'clawchat-k8s-init-'));
    try {
      const { secretsPath } = init({ outDir: dir, domain: 'chat.example.org', k8s: true });
      const secrets = yamlDocuments(secretsPath!) as K8sObject[];
      const config = parseEnvFile(readFileSync(join(k8sDir, 'config.env'), 'utf8'));
      const templates = generated.get('synapse-templates')!.files!;
      for (const workload of workloads.filter(
        (w) => w.metadata.labels['app.kubernetes.io/name'] === 'synapse',
      )) {
        const pod = `${workload.metadata.name}-0`;
        const container = workload.spec.template.spec.initContainers.find(
          (c: { name: string }) => c.name === 'config',
        );
        const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
        for (const from of container.envFrom) {
          if (from.configMapRef) for (const [k, v] of config) env[k] = v;
          if (from.secretRef)
            Object.assign(env, secrets.find((s) => s.metadata.name === from.secretRef.name)!.stringData);
        }
        for (const e of container.env)
          env[e.name] = e.value ?? (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name' ? pod : '');
        // The ConfigMap's keys are the files' names; /config is the pod's emptyDir.
        const out = join(dir, pod);
        mkdirSync(out);
        const mountedTemplates = join(dir, `${pod}-templates`);
        mkdirSync(mountedTemplates);
        for (const file of templates)
          copyFileSync(join(k8sDir, file), join(mountedTemplates, basename(file)));
        const script = container.command[2]
          .replaceAll('/templates/', `${mountedTemplates}/`)
          .replaceAll('/config/', `${out}/`);
        const run = spawnSync('sh', ['-euc', script], { env, encoding: 'utf8' });
        assert.equal(run.status, 0, `${pod}: ${run.stderr}`);
        for (const file of ['homeserver.yaml', 'shared.yaml', 'process.yaml']) {
          const text = readFileSync(join(out, file), 'utf8');
          assert.doesNotMatch(text, /\$\{/, `${pod}/${file}`);
        }
        const processFile = yamlDocuments(join(out, 'process.yaml'))[0] as { worker_name?: string };
        if (workload.metadata.name !== 'synapse-main') assert.equal(processFile.worker_name, pod);
        const homeserver = yamlDocuments(join(out, 'homeserver.yaml'))[0] as Record<string, unknown>;
        assert.equal(homeserver.server_name, config.get('DOMAIN'));
        assert.equal(homeserver.signing_key_path, '/keys/signing.key');
        assert.ok(existsSync(join(out, 'log.config')));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
