import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { isPortOpen, spawnDetached, stopPid, waitFor } from './processes.js';
import { repoRoot, type StackSettings, stackSettings } from './settings.js';
import { commandExists, kafkaLibsDir, writeClickHouseConfig } from './stack.js';

/**
 * A real ClickHouse cluster on loopback for tests: ZooKeeper 3.8 (from the Kafka broker's jars,
 * which ship it) and two ClickHouse servers, 2 shards x 1 replica, configured with the committed
 * snippets of infra/clickhouse/cluster/config.d. Ports are fixed by those snippets and kept away
 * from the local stack's; data lives under .data/cluster-test (git-ignored), wiped on each start.
 */
export interface ClusterServer {
  name: string;
  httpPort: number;
  tcpPort: number;
  interserverPort: number;
  /** The committed macros snippet (shard and replica) of this server. */
  macrosFile: string;
}

export interface TestCluster {
  host: '127.0.0.1';
  /** The `remote_servers` entry of infra/clickhouse/cluster/config.d/cluster.xml. */
  name: string;
  dataDir: string;
  zookeeperLibs: string;
  zookeeperPort: number;
  servers: ClusterServer[];
}

const snippets = join(repoRoot, 'infra', 'clickhouse', 'cluster', 'config.d');

export function testCluster(settings: StackSettings = stackSettings()): TestCluster {
  return {
    host: settings.host,
    name: 'hotspots',
    dataDir: join(settings.dataDir, 'cluster-test'),
    zookeeperLibs: kafkaLibsDir(settings),
    zookeeperPort: 22181,
    servers: [1, 2].map((n) => ({
      name: `clickhouse-${n}`,
      httpPort: 28122 + n,
      tcpPort: 28999 + n,
      interserverPort: 29008 + n,
      macrosFile: `macros-shard-0${n}.xml`,
    })),
  };
}

export const serverUrl = (cluster: TestCluster, server: ClusterServer) => `http://${cluster.host}:${server.httpPort}`;

/** Why the cluster cannot run on this machine, or undefined when everything it needs is installed. */
export function testClusterPrerequisite(cluster: TestCluster): string | undefined {
  const install = 'run `bash infra/scripts/install-prereqs.sh`';
  if (!commandExists('clickhouse-server')) return `clickhouse-server is not installed (${install})`;
  if (!commandExists('java')) return `java is not installed (${install})`;
  for (const jar of ['zookeeper-3.8.4.jar', 'zookeeper-jute-3.8.4.jar']) {
    if (!existsSync(join(cluster.zookeeperLibs, jar)))
      return `${jar} is missing from ${cluster.zookeeperLibs} (${install})`;
  }
  return undefined;
}

const pidFile = (cluster: TestCluster, name: string) => join(cluster.dataDir, name, 'pid');
const logFile = (cluster: TestCluster, name: string) => join(cluster.dataDir, name, 'service.log');

/**
 * ZooKeeper's four-letter `srvr` command. `ruok` is not enough: ZooKeeper answers `imok` as soon
 * as its port is bound, before it serves sessions. A ClickHouse 18.16 server whose DDL worker
 * found no ZooKeeper at start-up crashed (SIGSEGV in zkutil::ZooKeeper::createImpl) on the first
 * ON CLUSTER query — measured — so servers start only once `srvr` reports a mode.
 */
function zookeeperServes(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => socket.write('srvr'));
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
    });
    socket.once('end', () => done(/^Mode: (standalone|leader|follower)$/m.test(answer)));
    socket.once('error', () => done(false));
  });
}

function startZookeeper(cluster: TestCluster): number {
  const dir = join(cluster.dataDir, 'zookeeper');
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(
    join(dir, 'zoo.cfg'),
    [
      'tickTime=500',
      `dataDir=${join(dir, 'data')}`,
      `clientPort=${cluster.zookeeperPort}`,
      `clientPortAddress=${cluster.host}`,
      // No admin HTTP server (it would take port 8080); `srvr` is the readiness probe.
      'admin.enableServer=false',
      '4lw.commands.whitelist=srvr',
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
      '',
    ].join('\n'),
  );
  return spawnDetached(
    'java',
    [
      '-Xms64m',
      '-Xmx256m',
      `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`,
      '-cp',
      `${cluster.zookeeperLibs}/*`,
      'org.apache.zookeeper.server.quorum.QuorumPeerMain',
      join(dir, 'zoo.cfg'),
    ],
    { cwd: dir, logFile: logFile(cluster, 'zookeeper'), pidFile: pidFile(cluster, 'zookeeper') },
  );
}

function startClickHouse(cluster: TestCluster, server: ClusterServer): number {
  const dir = join(cluster.dataDir, server.name);
  writeClickHouseConfig(dir, cluster.host, server.httpPort, server.tcpPort);
  mkdirSync(join(dir, 'config.d'), { recursive: true });
  copyFileSync(join(snippets, 'cluster.xml'), join(dir, 'config.d', 'cluster.xml'));
  copyFileSync(join(snippets, server.macrosFile), join(dir, 'config.d', 'macros.xml'));
  // Replicas fetch parts from each other over this port (unused with one replica per shard).
  writeFileSync(
    join(dir, 'config.d', 'interserver.xml'),
    `<yandex>
  <interserver_http_host>${cluster.host}</interserver_http_host>
  <interserver_http_port>${server.interserverPort}</interserver_http_port>
</yandex>
`,
  );
  return spawnDetached('clickhouse-server', [`--config-file=${join(dir, 'config.xml')}`], {
    cwd: dir,
    logFile: logFile(cluster, server.name),
    pidFile: pidFile(cluster, server.name),
  });
}

/** GET without a query (`/ping`), POST with one. */
async function clickhouseQuery(url: string, query?: string): Promise<string> {
  const answer = await fetch(url, {
    ...(query === undefined ? {} : { method: 'POST', body: query }),
    signal: AbortSignal.timeout(2000),
  });
  const text = await answer.text();
  if (!answer.ok) throw new Error(text);
  return text;
}

/** Stops the processes a previous start left (by pid file). */
export async function stopTestCluster(cluster: TestCluster): Promise<void> {
  await Promise.all(cluster.servers.map((server) => stopPid(pidFile(cluster, server.name), 15_000)));
  await stopPid(pidFile(cluster, 'zookeeper'), 10_000);
}

/**
 * Starts ZooKeeper, then both servers, from empty data directories; resolves when each server
 * answers, has a ZooKeeper session and sees the cluster as configured. On any failure, stops
 * what it started.
 */
export async function startTestCluster(cluster: TestCluster, log: (message: string) => void = () => {}) {
  await stopTestCluster(cluster);
  const ports = [cluster.zookeeperPort, ...cluster.servers.flatMap((s) => [s.httpPort, s.tcpPort, s.interserverPort])];
  for (const port of ports) {
    if (await isPortOpen(cluster.host, port)) {
      throw new Error(
        `port ${port} on ${cluster.host} is taken by another process; the test cluster uses the fixed ports ${ports.join(', ')} (infra/clickhouse/cluster/config.d)`,
      );
    }
  }
  rmSync(cluster.dataDir, { recursive: true, force: true });
  try {
    const zookeeper = startZookeeper(cluster);
    await waitFor(
      `ZooKeeper to serve on port ${cluster.zookeeperPort}`,
      () => zookeeperServes(cluster.host, cluster.zookeeperPort),
      { timeoutMs: 30_000, logFile: logFile(cluster, 'zookeeper'), pid: zookeeper },
    );
    log(`zookeeper: ready on ${cluster.zookeeperPort}`);
    await Promise.all(
      cluster.servers.map(async (server) => {
        const pid = startClickHouse(cluster, server);
        const url = serverUrl(cluster, server);
        const options = { timeoutMs: 60_000, logFile: logFile(cluster, server.name), pid };
        await waitFor(
          `${server.name} to answer on port ${server.httpPort}`,
          async () => (await clickhouseQuery(`${url}/ping`)).startsWith('Ok'),
          options,
        );
        await waitFor(
          `${server.name} to open its ZooKeeper session`,
          async () => (await clickhouseQuery(url, "SELECT count() FROM system.zookeeper WHERE path = '/'")) !== '0\n',
          options,
        );
        const shards = await clickhouseQuery(
          url,
          `SELECT groupArray(port) FROM system.clusters WHERE cluster = '${cluster.name}' AND is_local = 0`,
        );
        const others = cluster.servers.filter((s) => s !== server).map((s) => s.tcpPort);
        if (shards.trim() !== `[${others.join(',')}]`) {
          throw new Error(
            `${server.name}: cluster ${cluster.name} lists remote servers ${shards.trim()}, expected [${others.join(',')}]: infra/clickhouse/cluster/config.d/cluster.xml and infra/local/cluster.ts disagree`,
          );
        }
        log(`${server.name}: ready on ${server.httpPort}`);
      }),
    );
  } catch (error) {
    await stopTestCluster(cluster);
    throw error;
  }
}
