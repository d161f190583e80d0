import * as Path from "node:path"

/** Where every built artefact and result goes (gitignored). */
export const resultsDir = Path.resolve(import.meta.dirname, "..", "results")
export const buildDir = Path.join(resultsDir, "build")

/**
 * The self-signed 127.0.0.1 certificate (and its key) the loopback server's https listener presents; children trust
 * it through `NODE_EXTRA_CA_CERTS`. Test-only material, shared with test/httpTransport.test.ts.
 */
export const tlsCertFile = Path.resolve(import.meta.dirname, "..", "..", "test", "fixtures", "localhost-cert.pem")
export const tlsKeyFile = Path.resolve(import.meta.dirname, "..", "..", "test", "fixtures", "localhost-key.pem")

/**
 * Dummy AWS settings for every child: static keys from the environment, no instance metadata, no shared config files,
 * so no client ever looks beyond 127.0.0.1 or reads this machine's AWS setup.
 */
export const dummyAwsEnv: Readonly<Record<string, string>> = {
  AWS_ACCESS_KEY_ID: "AKIDBENCHMARKEXAMPLE",
  AWS_SECRET_ACCESS_KEY: "bench/secret/not-a-real-key/EXAMPLEKEY",
  AWS_EC2_METADATA_DISABLED: "true",
  AWS_REGION: "us-east-1",
  AWS_CONFIG_FILE: Path.join(resultsDir, "no-such-aws-config"),
  AWS_SHARED_CREDENTIALS_FILE: Path.join(resultsDir, "no-such-aws-credentials")
}

const dropped = [
  "AWS_SESSION_TOKEN",
  "AWS_PROFILE",
  "AWS_DEFAULT_PROFILE",
  "AWS_DEFAULT_REGION",
  "AWS_ENDPOINT_URL",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_ROLE_ARN",
  "AWS_LITE_DEBUG",
  "NODE_OPTIONS"
]

/** The environment of every child process: this one's, minus AWS and Node settings that could leak in, plus the dummies. */
export const childEnv = (extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of dropped) delete env[name]
  return { ...env, ...dummyAwsEnv, ...extra }
}
