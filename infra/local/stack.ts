import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { isPortOpen, readPid, spawnDetached, stopPid, waitFor } from './processes.js';
import { repoRoot, type StackSettings } from './settings.js';

/**
 * The local stack: ClickHouse (Debian's clickhouse-server), the Apache Kafka broker (Maven Central
 * jars, KRaft single node, Java 17) and s3rver, all on 127.0.0.1 with data under one git-ignored
 * folder. Starting is idempotent: a service already answering on its port is reused.
 */
export type ServiceName = 'clickhouse' | 'kafka' | 's3';
type Log = (message: string) => void;

interface Service {
  name: ServiceName;
  ports: { port: number; variable: string }[];
  healthy(): Promise<boolean>;
  prerequisite(): string | undefined;
  start(): number;
  startTimeoutMs: number;
}

const dirOf = (settings: StackSettings, name: string) => join(settings.dataDir, name);
const pidFileOf = (settings: StackSettings, name: string) => join(dirOf(settings, name), 'pid');
const logFileOf = (settings: StackSettings, name: string) => join(dirOf(settings, name), 'service.log');

export function commandExists(command: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && existsSync(join(dir, command)));
}

const missing = (what: string) =>
  `${what} is not installed: run \`bash infra/scripts/install-prereqs.sh\` (or \`npm start\`, which runs it)`;

/**
 * Writes config.xml and users.xml of a ClickHouse server under `dir` (data, logs and tmp below it).
 * Extra settings go into `dir/config.d/*.xml`, which the server merges into config.xml.
 */
export function writeClickHouseConfig(dir: string, host: string, httpPort: number, tcpPort: number): void {
  for (const sub of ['data', 'tmp', 'user_files', 'format_schemas', 'log'])
    mkdirSync(join(dir, sub), { recursive: true });
  // A config of our own: the Debian one writes to /var/lib and listens on every interface.
  writeFileSync(
    join(dir, 'config.xml'),
    `<yandex>
  <logger><level>warning</level><log>${dir}/log/server.log</log><errorlog>${dir}/log/error.log</errorlog><size>20M</size><count>2</count></logger>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <listen_host>${host}</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
</yandex>
`,
  );
  writeFileSync(
    join(dir, 'users.xml'),
    `<yandex>
  <profiles><default><max_memory_usage>8000000000</max_memory_usage><allow_experimental_low_cardinality_type>1</allow_experimental_low_cardinality_type></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`,
  );
}

function clickhouseService(settings: StackSettings): Service {
  const dir = dirOf(settings, 'clickhouse');
  const { httpPort, tcpPort } = settings.clickhouse;
  return {
    name: 'clickhouse',
    ports: [
      { port: httpPort, variable: 'HOTSPOTS_CLICKHOUSE_HTTP_PORT' },
      { port: tcpPort, variable: 'HOTSPOTS_CLICKHOUSE_TCP_PORT' },
    ],
    startTimeoutMs: 60_000,
    prerequisite: () =>
      commandExists('clickhouse-server') ? undefined : missing('clickhouse-server (Debian package)'),
    async healthy() {
      const answer = await fetch(`http://${settings.host}:${httpPort}/ping`, { signal: AbortSignal.timeout(1000) });
      return answer.ok && (await answer.text()).startsWith('Ok');
    },
    start() {
      writeClickHouseConfig(dir, settings.host, httpPort, tcpPort);
      return spawnDetached('clickhouse-server', [`--config-file=${join(dir, 'config.xml')}`], {
        cwd: dir,
        logFile: logFileOf(settings, 'clickhouse'),
        pidFile: pidFileOf(settings, 'clickhouse'),
      });
    },
  };
}

export function kafkaLibsDir(settings: StackSettings): string {
  return join(settings.cacheDir, `kafka-${settings.kafkaVersion}`, 'libs');
}

function kafkaService(settings: StackSettings): Service {
  const dir = dirOf(settings, 'kafka');
  const libs = kafkaLibsDir(settings);
  const { port, controllerPort } = settings.kafka;
  return {
    name: 'kafka',
    ports: [
      { port, variable: 'HOTSPOTS_KAFKA_PORT' },
      { port: controllerPort, variable: 'HOTSPOTS_KAFKA_CONTROLLER_PORT' },
    ],
    startTimeoutMs: 90_000,
    prerequisite() {
      if (!commandExists('java')) return missing('java (openjdk-17)');
      if (!existsSync(join(libs, '.complete')))
        return missing(`the Kafka ${settings.kafkaVersion} broker jars (${libs})`);
      return undefined;
    },
    healthy: () => kafkaAnswers(settings),
    start() {
      mkdirSync(join(dir, 'logs'), { recursive: true });
      const properties = join(dir, 'server.properties');
      writeFileSync(
        properties,
        [
          'process.roles=broker,controller',
          'node.id=1',
          `controller.quorum.voters=1@${settings.host}:${controllerPort}`,
          `listeners=PLAINTEXT://${settings.host}:${port},CONTROLLER://${settings.host}:${controllerPort}`,
          `advertised.listeners=PLAINTEXT://${settings.host}:${port}`,
          'controller.listener.names=CONTROLLER',
          'inter.broker.listener.name=PLAINTEXT',
          'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
          `log.dirs=${join(dir, 'logs')}`,
          'num.partitions=4',
          'auto.create.topics.enable=false',
          'offsets.topic.replication.factor=1',
          'offsets.topic.num.partitions=4',
          'transaction.state.log.replication.factor=1',
          'transaction.state.log.min.isr=1',
          // Consumer groups in tests and `npm start` join at once instead of waiting 3 s.
          'group.initial.rebalance.delay.ms=0',
          'log.retention.hours=168',
          '',
        ].join('\n'),
      );
      writeFileSync(
        join(dir, 'log4j.properties'),
        [
          'log4j.rootLogger=WARN, stdout',
          'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
          'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
          'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
          'log4j.logger.kafka.server.KafkaServer=INFO',
          '',
        ].join('\n'),
      );
      const classpath = `${libs}/*`;
      const jvm = [
        '-Xms256m',
        '-Xmx768m',
        '-XX:+UseG1GC',
        '-Djava.awt.headless=true',
        `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`,
      ];
      // KRaft storage is formatted once, with a fresh cluster id (16 random bytes, base64url). One
      // starting with '-' reads as an option on the command line (1 in 64 ids; a CI run met one),
      // so, as Kafka's own Uuid.randomUuid does, such ids are drawn again.
      if (!existsSync(join(dir, 'logs', 'meta.properties'))) {
        let clusterId = randomBytes(16).toString('base64url');
        while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
        const format = runSync('java', [
          ...jvm,
          '-cp',
          classpath,
          'kafka.tools.StorageTool',
          'format',
          '-t',
          clusterId,
          '-c',
          properties,
        ]);
        if (format.status !== 0) throw new Error(`formatting Kafka storage failed:\n${format.output}`);
      }
      return spawnDetached('java', [...jvm, '-cp', classpath, 'kafka.Kafka', properties], {
        cwd: dir,
        logFile: logFileOf(settings, 'kafka'),
        pidFile: pidFileOf(settings, 'kafka'),
      });
    },
  };
}

function runSync(command: string, args: string[]): { status: number | null; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

export async function kafkaAnswers(settings: StackSettings): Promise<boolean> {
  if (!(await isPortOpen(settings.host, settings.kafka.port))) return false;
  const kafka = new Kafka({
    brokers: [`${settings.host}:${settings.kafka.port}`],
    clientId: 'hotspots-stack-check',
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function s3Service(settings: StackSettings): Service {
  const dir = dirOf(settings, 's3');
  const bin = join(repoRoot, 'node_modules', 's3rver', 'bin', 's3rver.js');
  return {
    name: 's3',
    ports: [{ port: settings.s3.port, variable: 'HOTSPOTS_S3_PORT' }],
    startTimeoutMs: 30_000,
    prerequisite: () => (existsSync(bin) ? undefined : missing('s3rver (npm package)')),
    async healthy() {
      // s3rver answers ListBuckets at the root; the bucket must be listed for the stack to be usable.
      const answer = await fetch(`http://${settings.host}:${settings.s3.port}/`, { signal: AbortSignal.timeout(1000) });
      return answer.ok && (await answer.text()).includes(`<Name>${settings.s3.bucket}</Name>`);
    },
    start() {
      mkdirSync(join(dir, 'objects'), { recursive: true });
      return spawnDetached(
        process.execPath,
        [
          // s3rver's ListObjectsV2 continuation tokens use DES, which OpenSSL 3 (Node ≥ 17) keeps in
          // its legacy provider: without it, any listing of more than one page (1,000 keys) fails.
          '--openssl-legacy-provider',
          bin,
          '--directory',
          join(dir, 'objects'),
          '--address',
          settings.host,
          '--port',
          String(settings.s3.port),
          '--configure-bucket',
          settings.s3.bucket,
          '--silent',
        ],
        { cwd: dir, logFile: logFileOf(settings, 's3'), pidFile: pidFileOf(settings, 's3') },
      );
    },
  };
}

export function services(settings: StackSettings): Service[] {
  return [clickhouseService(settings), kafkaService(settings), s3Service(settings)];
}

/** Starts what is not already answering. Returns the names of the services this call started. */
export async function startStack(settings: StackSettings, log: Log = () => undefined): Promise<ServiceName[]> {
  mkdirSync(settings.dataDir, { recursive: true });
  const started: ServiceName[] = [];
  await Promise.all(
    services(settings).map(async (service) => {
      mkdirSync(dirOf(settings, service.name), { recursive: true });
      if (await service.healthy().catch(() => false)) {
        log(`${service.name}: already running, reused`);
        return;
      }
      const problem = service.prerequisite();
      if (problem) throw new Error(`${service.name}: ${problem}`);
      for (const { port, variable } of service.ports) {
        if (await isPortOpen(settings.host, port)) {
          throw new Error(
            `${service.name}: port ${port} on ${settings.host} is taken by another process (it does not answer as ${service.name}); stop it or choose another port with ${variable}`,
          );
        }
      }
      log(`${service.name}: starting (log: ${logFileOf(settings, service.name)})`);
      const pid = service.start();
      await waitFor(`${service.name} to answer on port ${service.ports[0]?.port}`, () => service.healthy(), {
        timeoutMs: service.startTimeoutMs,
        logFile: logFileOf(settings, service.name),
        pid,
      });
      started.push(service.name);
      log(`${service.name}: ready`);
    }),
  );
  return started;
}

/** Stops services this stack started (by pid file). Without names, stops all three. */
export async function stopStack(settings: StackSettings, names?: readonly ServiceName[], log: Log = () => undefined) {
  for (const service of services(settings)) {
    if (names && !names.includes(service.name)) continue;
    if (await stopPid(pidFileOf(settings, service.name))) log(`${service.name}: stopped`);
  }
}

export function stackPids(settings: StackSettings): Record<string, number | undefined> {
  const pids: Record<string, number | undefined> = {};
  for (const name of ['clickhouse', 'kafka', 's3']) pids[name] = readPid(pidFileOf(settings, name));
  return pids;
}
