/**
 * Loads drachtio-srf's own integration-test apps (`node_modules/drachtio-srf/test/scripts/*.js`)
 * in place, unmodified, and points them at an engine under test.
 *
 * The scripts connect with `srf.connect(config.get('drachtio-sut'))` (or `'drachtio-uas'`),
 * where `config` is the npm `config` package reading srf's `config/test.json`. That package is
 * one of srf's devDependencies, which npm does not install for a dependency, and the file names
 * fixed admin ports (9061/9062). So `require('config')` made *from srf's test folder* is
 * answered here with an object of the same shape: srf's own `config/test.json`, with the
 * `drachtio-sut` / `drachtio-uas` host, port and secret replaced by an engine's. Nothing else
 * in the process sees the substitute.
 */
import type { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import Module, { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import type Srf from 'drachtio-srf';
import type { EngineUnderTest } from '../support/engine-harness.js';

const require = createRequire(import.meta.url);

/** drachtio-srf's installed package folder. */
export const SRF_PACKAGE_DIR = dirname(require.resolve('drachtio-srf/package.json'));
/** srf's integration suite: tape files, `scripts/`, `scenarios/`. */
export const SRF_TEST_DIR = join(SRF_PACKAGE_DIR, 'test');

/**
 * srf scenarios that Debian's SIPp 3.6.1 refuses as invalid XML: they carry a raw `<` inside an
 * attribute (`<ereg regexp="<sip:(.*)>" …>`), which the SIPp build of srf's docker testbed
 * tolerated. For these, SIPp is given the same file with that one character escaped (`&lt;`),
 * written to a temporary folder outside the repository; the SIP flow is untouched.
 */
const SRF_SCENARIOS_WITH_RAW_LT = [
  'uas-reinvite.xml',
  'uas-reinvite-with-auth.xml',
  'uas-update-with-sdp.xml',
];
const RAW_LT_IN_REGEXP = 'regexp="<';

let escapedDir: string | undefined;

function escapedScenario(name: string): string {
  if (escapedDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'baton-srf-scenarios-'));
    escapedDir = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  const path = join(escapedDir, name);
  if (!existsSync(path)) {
    const original = readFileSync(join(SRF_TEST_DIR, 'scenarios', name), 'utf8');
    if (!original.includes(RAW_LT_IN_REGEXP))
      throw new Error(`srf ${name} no longer needs escaping: run it in place`);
    writeFileSync(path, original.replaceAll(RAW_LT_IN_REGEXP, 'regexp="&lt;'));
  }
  return path;
}

/** Absolute path of one of srf's SIPp scenarios, run from where npm installed it. */
export function srfScenario(name: string): string {
  if (SRF_SCENARIOS_WITH_RAW_LT.includes(name)) return escapedScenario(name);
  return join(SRF_TEST_DIR, 'scenarios', name);
}

/** The connection entries srf's test config names; the scripts use no others. */
type ConfigTarget = 'drachtio-sut' | 'drachtio-uas';

interface ConnectOpts {
  host: string;
  port: number;
  secret: string;
}

/** srf's `config/test.json`: the values the scripts would read in srf's own CI. */
const srfTestConfig = JSON.parse(
  readFileSync(join(SRF_PACKAGE_DIR, 'config', 'test.json'), 'utf8'),
) as Record<string, unknown>;
const targets = new Map<ConfigTarget, ConnectOpts>();

/** Same surface as the `config` package for what the scripts call: `get` and `has`. */
const configSubstitute = {
  get(key: string): unknown {
    const base = srfTestConfig[key];
    if (base === undefined) throw new Error(`srf test config: no setting "${key}"`);
    const target = targets.get(key as ConfigTarget);
    // Keep srf's own options (enablePing, pingInterval) and swap only where to connect.
    return target && typeof base === 'object' ? { ...base, ...target } : base;
  },
  has(key: string): boolean {
    return key in srfTestConfig;
  },
};

/** Module id the substitute is registered under; no such file exists. */
const CONFIG_MODULE_ID = join(SRF_TEST_DIR, '.baton-config-substitute.js');

type ResolveFilename = (
  request: string,
  parent: { filename?: string | null } | undefined,
  ...rest: unknown[]
) => string;
let substituteInstalled = false;

function installConfigSubstitute(): void {
  if (substituteInstalled) return;
  substituteInstalled = true;
  const loader = Module as unknown as { _resolveFilename: ResolveFilename };
  const resolve = loader._resolveFilename;
  loader._resolveFilename = function (this: unknown, request, parent, ...rest) {
    if (request === 'config' && parent?.filename?.startsWith(SRF_TEST_DIR + sep)) return CONFIG_MODULE_ID;
    return resolve.call(this, request, parent, ...rest);
  };
  const substitute = new Module(CONFIG_MODULE_ID);
  substitute.exports = configSubstitute;
  substitute.loaded = true;
  require.cache[CONFIG_MODULE_ID] = substitute;
}

function connectOptsOf(eut: EngineUnderTest): ConnectOpts {
  return { host: '127.0.0.1', port: eut.adminPort, secret: eut.secret };
}

/**
 * Run `build` (which constructs srf test apps) with `config` pointing at the given engines. The
 * scripts read `config` synchronously in their constructors or at load time, so concurrent
 * tests, each with its own engine, do not see each other's targets.
 */
function withTargets<T>(engines: Partial<Record<ConfigTarget, EngineUnderTest>>, build: () => T): T {
  installConfigSubstitute();
  targets.clear();
  for (const [name, eut] of Object.entries(engines) as [ConfigTarget, EngineUnderTest][])
    targets.set(name, connectOptsOf(eut));
  try {
    return build();
  } finally {
    targets.clear();
  }
}

/** `test/scripts/b2b.js`: the B2BUA app of srf's `test/b2b.js`. */
export interface SrfB2bScriptApp extends EventEmitter {
  srf: Srf;
  expectSuccess(uri: string, opts?: object): void;
  expectCancel(uri: string): void;
  expectFailure(uri: string, status: number, newStatus?: number): void;
  passHeaders(uri: string): void;
  passHeadersOnResponse(uri: string, headers: object | ((res: unknown, hdrs: unknown) => object)): void;
  sdpAsPromise(uri: string): void;
  sdpAsFunctionReturningString(uri: string): void;
  uriInOpts(uri: string): void;
  expect3pccUasFailure(uri: string): void;
  immediateReinviteFromB(uri: string): void;
  disconnect(): SrfB2bScriptApp;
}

/** `test/scripts/uas.js`: the UAS app of srf's `test/uas.js` and `test/reinvite-tests.js`. */
export interface SrfUasScriptApp extends EventEmitter {
  srf: Srf;
  reject(code: number, headers?: Record<string, string>): SrfUasScriptApp;
  accept(sdp?: string | null, useBody?: boolean): SrfUasScriptApp;
  acceptCb(): SrfUasScriptApp;
  acceptSubscribe(): SrfUasScriptApp;
  handleReinviteScenario(sdp?: string, useBody?: boolean): Promise<void>;
  disconnect(): void;
}

type ScriptAppClass<T> = new () => T;

/** A script app and the moment its srf is connected with its routes in place. */
export interface LaunchedScriptApp<T> {
  app: T;
  ready: Promise<void>;
}

function loadScript<T>(name: string): T {
  installConfigSubstitute();
  return require(join(SRF_TEST_DIR, 'scripts', name)) as T;
}

/**
 * Resolves once `srf` is connected and its `route` frames have reached the engine. Called right
 * after construction: the scripts connect in their constructors, so `connect` is still ahead.
 * srf sends a route as each handler is registered (or on connect), so one more turn covers both.
 */
function connectedSoon(srf: Srf, ms = 5000): Promise<void> {
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('srf test app did not connect to the engine')), ms);
    srf.once('connect', () => {
      clearTimeout(timer);
      setTimeout(resolve, 30);
    });
  });
  // A run that fails before awaiting `ready` must not leave a stray rejection behind.
  ready.catch(() => undefined);
  return ready;
}

function launch<T extends { srf: Srf }>(script: string, eut: EngineUnderTest): LaunchedScriptApp<T> {
  const App = loadScript<ScriptAppClass<T>>(script);
  const app = withTargets({ 'drachtio-sut': eut }, () => new App());
  return { app, ready: connectedSoon(app.srf) };
}

/** A new `test/scripts/b2b.js` app connecting to `eut` as `drachtio-sut`. */
export function launchB2bScriptApp(eut: EngineUnderTest): LaunchedScriptApp<SrfB2bScriptApp> {
  return launch<SrfB2bScriptApp>('b2b.js', eut);
}

/** A new `test/scripts/uas.js` app connecting to `eut` as `drachtio-sut`. */
export function launchUasScriptApp(eut: EngineUnderTest): LaunchedScriptApp<SrfUasScriptApp> {
  return launch<SrfUasScriptApp>('uas.js', eut);
}

/**
 * `test/scripts/refer-uas.js`, the far end of srf's REFER test, connecting to `eut` as
 * `drachtio-uas`. The script is a module-level singleton (its own `srf`, a call counter), so it
 * is loaded afresh for every run.
 */
export function launchReferUasScript(eut: EngineUnderTest): LaunchedScriptApp<Srf> {
  installConfigSubstitute();
  const path = join(SRF_TEST_DIR, 'scripts', 'refer-uas.js');
  delete require.cache[require.resolve(path)];
  const app = withTargets({ 'drachtio-uas': eut }, () => require(path) as Srf);
  return { app, ready: connectedSoon(app) };
}
