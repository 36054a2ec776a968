// Validates deploy/ manifests: the published schemas (kubernetes-models, @kubernetes-models/knative)
// and Ember's own invariants; each broken copy below must be rejected. Prints "deploy: N passed, M failed".
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { parse, parseDocument } from "yaml";
import { Service } from "@kubernetes-models/knative/serving.knative.dev/v1/Service";
import { validate as validatePodSpec } from "kubernetes-models/_schemas/IoK8sApiCoreV1PodSpec";
import { validate as validateObjectMeta } from "@kubernetes-models/apimachinery/_schemas/IoK8sApimachineryPkgApisMetaV1ObjectMeta";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const read = (f) => readFileSync(path.join(root, f), "utf8");
const clone = (o) => structuredClone(o);
let passed = 0, failed = 0;
function check(name, fn) {
  try { fn(); passed++; console.log(`ok   ${name}`); }
  catch (e) { failed++; console.log(`FAIL ${name}: ${e.message}`); }
}
function expectFailure(name, fn) {
  let threw = false;
  try { fn(); } catch { threw = true; }
  check(`rejects ${name}`, () => { if (!threw) throw new Error("a broken manifest was accepted"); });
}
const assert = (cond, msg) => { if (!cond) throw new Error(msg); };
const errs = (v) => (v.errors || []).map((e) => `${e.instancePath} ${e.message}`).join("; ");

// Probe paths served by the app (smallrye-health); the running app is probed by deploy-test.sh.
const READY = "/q/health/ready", LIVE = "/q/health/live";
const GiB = 1024 ** 3;
function bytes(q) {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(q));
  assert(m, `bad quantity ${q}`);
  const u = { Ki: 1024, Mi: 1024 ** 2, Gi: GiB, Ti: 1024 ** 4, k: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2]] ?? 1;
  return Number(m[1]) * u;
}

// The container invariants shared by Knative and KServe.
function emberContainer(c, podVolumes) {
  const ports = c.ports || [];
  assert(ports.length === 1, `exactly one container port, found ${ports.length}`);
  assert(ports[0].name === "h2c", `port must be named h2c (gRPC + REST on one port), is ${ports[0].name}`);
  assert(ports[0].containerPort === 8080, `port must be 8080, is ${ports[0].containerPort}`);
  assert(c.readinessProbe?.httpGet?.path === READY, `readiness probe must GET ${READY}`);
  assert(c.livenessProbe?.httpGet?.path === LIVE, `liveness probe must GET ${LIVE}`);
  for (const p of [c.readinessProbe, c.livenessProbe]) {
    assert(p.httpGet.port === undefined || p.httpGet.port === 8080, "probe port must be the container port");
  }
  const model = (c.env || []).find((e) => e.name === "EMBER_MODEL");
  assert(model && model.value, "env EMBER_MODEL must be set");
  const mount = (c.volumeMounts || []).find((m) => model.value.startsWith(m.mountPath + "/"));
  assert(model.value.startsWith("hf://") || mount, `EMBER_MODEL ${model.value} is on no mounted volume`);
  if (mount) assert((podVolumes || []).some((v) => v.name === mount.name), `volume ${mount.name} is not declared`);
  // Sizing rule: model file (~0.8 GiB for 1B Q4_0) + KV cache + ~1 GiB JVM.
  const kv = (c.env || []).find((e) => e.name === "EMBER_KV_CACHE_MEMORY");
  const kvBytes = kv ? bytes(kv.value.replace(/^(\d+)([GMK])$/, "$1$2i")) : GiB;
  const need = 0.8 * GiB + kvBytes + GiB;
  const limit = bytes(c.resources?.limits?.memory ?? "0");
  assert(limit >= need, `memory limit ${c.resources?.limits?.memory} < model + KV + 1 GiB (${(need / GiB).toFixed(1)} GiB)`);
  assert(bytes(c.resources?.requests?.memory ?? "0") === limit, "memory request must equal the limit (no OOM kill under pressure)");
}

// ---- Knative Service ----
const knText = read("deploy/knative/service.yaml");
const kn = parse(knText);
function knSchema(o) { new Service(o).validate(); }
function knInvariants(o) {
  assert(o.apiVersion === "serving.knative.dev/v1" && o.kind === "Service", "must be a serving.knative.dev/v1 Service");
  const t = o.spec.template, a = t.metadata?.annotations || {};
  assert(a["autoscaling.knative.dev/min-scale"] === "0", "min-scale must be \"0\" (scale to zero)");
  assert(/^\d+$/.test(a["autoscaling.knative.dev/target"] ?? ""), "a numeric autoscaling.knative.dev/target is required");
  assert(Number.isInteger(t.spec.containerConcurrency) && t.spec.containerConcurrency > 0, "containerConcurrency > 0");
  assert(t.spec.timeoutSeconds === 600, "timeoutSeconds must be 600 (streams)");
  assert(t.spec.containers.length === 1, "Knative allows one serving container");
  emberContainer(t.spec.containers[0], t.spec.volumes);
}
check("knative/service.yaml: serving.knative.dev/v1 Service schema", () => knSchema(kn));
check("knative/service.yaml: Ember invariants", () => knInvariants(kn));
const knBroken = {
  "containerPort as a string (schema)": [knSchema, (o) => { o.spec.template.spec.containers[0].ports[0].containerPort = "8080"; }],
  "a container without a name (schema)": [knSchema, (o) => { delete o.spec.template.spec.containers[0].name; }],
  "containerConcurrency as a string (schema)": [knSchema, (o) => { o.spec.template.spec.containerConcurrency = "16"; }],
  "wrong apiVersion (schema)": [knSchema, (o) => { o.apiVersion = "serving.knative.dev/v1alpha1"; }],
  "port named http1": [knInvariants, (o) => { o.spec.template.spec.containers[0].ports[0].name = "http1"; }],
  "min-scale 1": [knInvariants, (o) => { o.spec.template.metadata.annotations["autoscaling.knative.dev/min-scale"] = "1"; }],
  "readiness on /health/ready": [knInvariants, (o) => { o.spec.template.spec.containers[0].readinessProbe.httpGet.path = "/health/ready"; }],
  "memory below the sizing rule": [knInvariants, (o) => { o.spec.template.spec.containers[0].resources.limits.memory = "1Gi"; }],
};
for (const [name, [validate, breakIt]] of Object.entries(knBroken)) {
  const o = clone(kn); breakIt(o); expectFailure(`knative: ${name}`, () => validate(o));
}

// ---- KServe InferenceService ----
// No published KServe schema package exists in the npm registry (@kubernetes-models/kserve: 404),
// so: ObjectMeta and the predictor's PodSpec part against the Kubernetes schemas, and the
// KServe ComponentExtensionSpec fields (minReplicas, maxReplicas, containerConcurrency, timeout) by type.
const ks = parse(read("deploy/kserve/inferenceservice.yaml"));
const EXT = ["minReplicas", "maxReplicas", "containerConcurrency", "timeout", "scaleTarget", "scaleMetric",
  "canaryTrafficPercent", "logger", "batcher", "labels", "annotations", "deploymentStrategy", "model", "workerSpec"];
function ksSchema(o) {
  assert(o.apiVersion === "serving.kserve.io/v1beta1" && o.kind === "InferenceService", "must be a serving.kserve.io/v1beta1 InferenceService");
  assert(validateObjectMeta(o.metadata), `metadata: ${errs(validateObjectMeta)}`);
  const p = o.spec?.predictor;
  assert(p && typeof p === "object", "spec.predictor is required");
  const pod = Object.fromEntries(Object.entries(p).filter(([k]) => !EXT.includes(k)));
  assert(validatePodSpec(pod), `spec.predictor (PodSpec): ${errs(validatePodSpec)}`);
  for (const k of ["minReplicas", "maxReplicas", "containerConcurrency", "timeout"]) {
    assert(p[k] === undefined || (Number.isInteger(p[k]) && p[k] >= 0), `spec.predictor.${k} must be a non-negative integer`);
  }
}
function ksInvariants(o) {
  const p = o.spec.predictor;
  assert(p.minReplicas === 0, "predictor.minReplicas must be 0 (scale to zero)");
  assert(p.containers.length === 1, "one predictor container");
  assert(p.containers[0].image === kn.spec.template.spec.containers[0].image, "same image as the Knative Service");
  emberContainer(p.containers[0], p.volumes);
}
check("kserve/inferenceservice.yaml: ObjectMeta + predictor PodSpec schemas", () => ksSchema(ks));
check("kserve/inferenceservice.yaml: Ember invariants", () => ksInvariants(ks));
const ksBroken = {
  "a predictor container without a name (schema)": [ksSchema, (o) => { delete o.spec.predictor.containers[0].name; }],
  "containers not a list (schema)": [ksSchema, (o) => { o.spec.predictor.containers = o.spec.predictor.containers[0]; }],
  "minReplicas as a string (schema)": [ksSchema, (o) => { o.spec.predictor.minReplicas = "0"; }],
  "port named http": [ksInvariants, (o) => { o.spec.predictor.containers[0].ports[0].name = "http"; }],
  "liveness on /live": [ksInvariants, (o) => { o.spec.predictor.containers[0].livenessProbe.httpGet.path = "/live"; }],
};
for (const [name, [validate, breakIt]] of Object.entries(ksBroken)) {
  const o = clone(ks); breakIt(o); expectFailure(`kserve: ${name}`, () => validate(o));
}

// ---- SAM template: structure and Ember's invariants (npm cfn-lint 1.9.7 predates PackageType/FunctionUrlConfig;
// deploy-test.sh also runs the Python cfn-lint where the machine has it). ----
const cfnTags = ["Ref", "GetAtt", "Sub", "Join", "Select", "If", "Equals", "FindInMap", "ImportValue", "Split", "GetAZs", "Base64"]
  .map((t) => ({ tag: `!${t}`, resolve: (v) => ({ [t === "Ref" ? "Ref" : `Fn::${t}`]: v }) }));
for (const t of ["Sub", "Join", "Select", "If", "Equals", "FindInMap", "Split", "GetAtt"]) {
  cfnTags.push({ tag: `!${t}`, collection: "seq", resolve: (v) => ({ [`Fn::${t}`]: v.toJSON() }) });
}
function samParse(text) {
  const doc = parseDocument(text, { customTags: cfnTags });
  assert(doc.errors.length === 0, doc.errors.map((e) => e.message).join("; "));
  return doc.toJS();
}
function samInvariants(t) {
  assert(t.Transform === "AWS::Serverless-2016-10-31", "Transform AWS::Serverless-2016-10-31 is required");
  const fns = Object.entries(t.Resources || {}).filter(([, r]) => r.Type === "AWS::Serverless::Function");
  assert(fns.length === 1, "one AWS::Serverless::Function");
  const [id, { Properties: p }] = fns[0];
  const image = p.PackageType === "Image" && p.ImageUri;
  const runtime = /^java(2[1-9]|[3-9]\d)$/.test(p.Runtime ?? "");
  assert(image || runtime, "a container image or a Java 21+ runtime");
  if (runtime) {
    assert(p.Handler === "io.quarkus.amazon.lambda.runtime.QuarkusStreamHandler::handleRequest", "Handler: Quarkus' QuarkusStreamHandler::handleRequest");
    assert(/function\.zip$/.test(p.CodeUri ?? ""), "CodeUri: the Lambda build's function.zip");
  }
  assert(p.FunctionUrlConfig || Object.values(p.Events || {}).some((e) => e.Type === "HttpApi"), "FunctionUrlConfig or an HttpApi event");
  if (p.FunctionUrlConfig) assert(["AWS_IAM", "NONE"].includes(p.FunctionUrlConfig.AuthType), "FunctionUrlConfig.AuthType");
  assert(p.Environment?.Variables?.EMBER_MODEL, "EMBER_MODEL in the environment");
  const env = JSON.stringify(p.Environment.Variables);
  assert(env.includes("--add-modules=jdk.incubator.vector") && env.includes("--enable-native-access=ALL-UNNAMED"), "the JVM module flags");
  const timeout = p.Timeout ?? t.Globals?.Function?.Timeout;
  assert(timeout >= 1 && timeout <= 900, "Timeout within Lambda's 900 s");
  const mem = p.MemorySize ?? t.Globals?.Function?.MemorySize;
  assert(mem >= 128 && mem <= 10240, "MemorySize within 128..10240 MB");
  for (const [k, v] of Object.entries(t.Outputs || {})) {
    const ga = v.Value?.["Fn::GetAtt"];
    if (ga) assert(String(ga).split(".")[0] === `${id}Url` || t.Resources[String(ga).split(".")[0]], `output ${k}: unknown resource`);
  }
}
const samText = read("deploy/lambda/template.yaml");
check("lambda/template.yaml: SAM structure", () => samInvariants(samParse(samText)));
expectFailure("lambda: a zip function on java17", () => {
  const t = samParse(samText); const p = t.Resources.EmberFunction.Properties;
  delete p.PackageType; delete p.ImageUri; p.Runtime = "java17"; samInvariants(t);
});
expectFailure("lambda: another handler", () => {
  const t = samParse(samText); t.Resources.EmberFunction.Properties.Handler = "dev.ember.cli.EmberMain::main"; samInvariants(t);
});
expectFailure("lambda: Timeout 3600", () => { const t = samParse(samText); t.Globals.Function.Timeout = 3600; samInvariants(t); });

// ---- Dockerfile and entrypoint (dockerfilelint runs in deploy-test.sh) ----
const df = read("deploy/Dockerfile");
const entry = read("deploy/entrypoint.sh");
function dockerInvariants(d) {
  // instructions, continuation lines joined
  const lines = d.replace(/\\\n/g, " ").split("\n").filter((l) => /^\s*[A-Z]+\s/.test(l));
  const ins = (k) => lines.filter((l) => l.startsWith(k + " "));
  // two stages: Temurin 25's JDK links Ember's runtime (src/build/LinkRuntime.java), the final image runs it
  const froms = ins("FROM").map((l) => l.trim());
  assert(froms.length === 2 && froms[0] === "FROM eclipse-temurin:25-jdk AS runtime", "a first stage FROM eclipse-temurin:25-jdk AS runtime");
  assert(ins("RUN").some((l) => lines.indexOf(l) < lines.indexOf(ins("FROM")[1]) && l.includes("LinkRuntime.java /opt/java")
    && l.includes("--add-exports jdk.jlink/jdk.tools.jlink.plugin=ALL-UNNAMED")), "the first stage links the runtime into /opt/java");
  assert(ins("COPY").some((l) => /^COPY --from=runtime \/opt\/java \/opt\/java\s*$/.test(l)), "the final stage copies /opt/java from it");
  assert(/PATH=\/opt\/java\/bin:\$PATH/.test(d) && /JAVA_HOME=\/opt\/java/.test(d), "JAVA_HOME and PATH name the linked runtime");
  const user = ins("USER").at(-1);
  assert(user && !/^USER\s+(root|0)(:|\s|$)/.test(user), "a non-root USER");
  assert(ins("EXPOSE").length === 1 && ins("EXPOSE")[0].trim() === "EXPOSE 8080", "exactly EXPOSE 8080");
  assert(/EMBER_MODEL=\/models\/model\.gguf/.test(d) && /EMBER_CACHE=\/cache/.test(d), "EMBER_MODEL and EMBER_CACHE defaults");
  assert(/VOLUME \[.*"\/models".*"\/cache".*\]/.test(d), "volumes /models and /cache");
  assert(d.includes("target/quarkus-app/quarkus-run.jar") || d.includes("target/quarkus-app/*.jar"), "copies target/quarkus-app");
  assert(ins("ENTRYPOINT").length === 1 && ins("ENTRYPOINT")[0].includes("entrypoint.sh"), "ENTRYPOINT runs entrypoint.sh");
  const train = ins("RUN").find((l) => l.includes("entrypoint.sh aot-train"));
  assert(train && lines.indexOf(train) < lines.indexOf(user), "the AOT cache is trained in the image build (entrypoint.sh aot-train, before USER)");
}
check("Dockerfile: base, user, port, volumes, entrypoint", () => dockerInvariants(df));
check("entrypoint.sh: JVM flags and `-jar quarkus-run.jar serve`", () => {
  assert(entry.includes("--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED"), "module flags");
  assert(/-jar "\$home\/quarkus-app\/quarkus-run\.jar" serve "\$@"/.test(entry), "-jar .../quarkus-run.jar serve");
});
expectFailure("Dockerfile: USER root", () => dockerInvariants(df.replace(/^USER .*$/m, "USER root")));
expectFailure("Dockerfile: no AOT training run", () => dockerInvariants(df.replace("entrypoint.sh aot-train", "entrypoint.sh")));
expectFailure("Dockerfile: the stock JRE instead of the linked runtime", () => dockerInvariants(df.replace(/^FROM ubuntu:24\.04$/m, "FROM eclipse-temurin:25-jre").replace(/^COPY --from=runtime .*$/m, "")));
expectFailure("Dockerfile: a second port", () => dockerInvariants(df.replace("EXPOSE 8080", "EXPOSE 8080 9000")));

console.log(`manifests: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
