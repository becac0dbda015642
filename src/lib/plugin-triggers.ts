/**
 * Every trigger dokku fires, in one table: when, with which arguments (Dokku's), whether dokku reads
 * what the plugins print, and what a plugin that exits non-zero does. The README's trigger table is
 * this one; `plugin:trigger` may fire any name, these are the ones dokku itself fires.
 */
export interface TriggerSpec {
  /** When dokku fires it. */
  when: string;
  /** Dokku's argument names, in order. */
  args: readonly string[];
  /** `captured`: dokku reads the plugins' stdout (docker options, a report); `shown`: it reaches the user. */
  output: 'shown' | 'captured';
  /** `aborts`: the step stops with the plugin's name and output, nothing after it runs; `warns`: a ` !` line, the step stands. */
  failure: 'aborts' | 'warns';
}

export const TRIGGERS = {
  install: { when: 'plugin:install and plugin:update, for every enabled plugin', args: [], output: 'shown', failure: 'aborts' },
  dependencies: { when: 'plugin:install and plugin:update, before install', args: [], output: 'shown', failure: 'aborts' },
  'post-create': { when: 'apps:create, apps:clone, and a push that creates the app', args: ['APP'], output: 'shown', failure: 'warns' },
  'pre-delete': { when: 'apps:destroy, before anything is removed', args: ['APP'], output: 'shown', failure: 'aborts' },
  'post-delete': { when: 'apps:destroy, after the app is gone', args: ['APP'], output: 'shown', failure: 'warns' },
  'post-app-rename': { when: 'apps:rename, after the app runs under its new name', args: ['OLD_APP', 'NEW_APP'], output: 'shown', failure: 'warns' },
  'pre-receive-app': {
    when: 'git push, before the build: SOURCE_DIR holds the pushed tree, and what the plugin changes there is built',
    args: ['APP', 'SOURCE_TYPE', 'SOURCE_DIR', 'REV'],
    output: 'shown',
    failure: 'aborts',
  },
  'pre-build': { when: 'before every build; SOURCE is the source archive (or the image of git:from-image); BUILDER_TYPE is builder:set\'s or `auto`', args: ['BUILDER_TYPE', 'APP', 'SOURCE'], output: 'shown', failure: 'aborts' },
  'post-build': { when: 'after a build succeeded, before its release; BUILDER_TYPE is the builder that ran', args: ['BUILDER_TYPE', 'APP', 'SOURCE'], output: 'shown', failure: 'aborts' },
  'docker-args-build': { when: 'before a build: extra build options (Dockerfile builds take them)', args: ['APP', 'SOURCE_TYPE'], output: 'captured', failure: 'aborts' },
  'pre-release-builder': { when: 'before the release of a build is recorded', args: ['BUILDER_TYPE', 'APP', 'IMAGE'], output: 'shown', failure: 'aborts' },
  'post-release-builder': { when: 'after the release of a build is recorded, before it deploys', args: ['BUILDER_TYPE', 'APP', 'IMAGE'], output: 'shown', failure: 'aborts' },
  'pre-deploy': { when: 'before the containers of a release start (every deploy, restart and rollback)', args: ['APP', 'IMAGE_TAG'], output: 'shown', failure: 'aborts' },
  'docker-args-deploy': { when: 'before the containers of a release start, once per process type', args: ['APP', 'IMAGE_TAG', 'PROC_TYPE'], output: 'captured', failure: 'aborts' },
  'docker-args-run': { when: 'before a one-off container of run or run:detached starts', args: ['APP', 'IMAGE_TAG'], output: 'captured', failure: 'aborts' },
  'check-deploy': {
    when: 'after the new containers passed dokku\'s checks, before traffic switches, once per web container',
    args: ['APP', 'CONTAINER_NAME', 'PROC_TYPE', 'PORT', 'IP'],
    output: 'shown',
    failure: 'aborts',
  },
  'post-deploy': { when: 'after traffic switched to the new release', args: ['APP', 'PORT', 'IP', 'IMAGE_TAG'], output: 'shown', failure: 'warns' },
  'post-domains-update': { when: 'domains:add, domains:remove, domains:set, domains:clear', args: ['APP', 'ACTION', 'DOMAIN...'], output: 'shown', failure: 'warns' },
  'post-config-update': { when: 'config:set, config:unset, config:clear, config:import', args: ['APP', 'ACTION', 'KEY=VALUE...'], output: 'shown', failure: 'warns' },
  'nginx-pre-reload': { when: 'after the app\'s vhost is written and checked, before nginx reloads', args: ['APP', 'INTERNAL_PORT', 'INTERNAL_IP'], output: 'shown', failure: 'aborts' },
  'post-proxy-ports-update': { when: 'ports:add, ports:remove, ports:set, ports:clear', args: ['APP', 'ACTION'], output: 'shown', failure: 'warns' },
  report: { when: 'dokku report APP, after dokku\'s own sections', args: ['APP'], output: 'captured', failure: 'warns' },
} as const satisfies Record<string, TriggerSpec>;

export type TriggerName = keyof typeof TRIGGERS;

/** Trigger names plugins may handle: Dokku's shape, so a file named like one is never a command. */
export const TRIGGER_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
