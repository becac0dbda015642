/**
 * Every Docker label this program writes or reads back, spelled once. Identity lives in labels, not
 * in names: the scheduler finds an app's containers by them, cleanup finds its images and volumes,
 * and the image check reads which app built an image.
 */
export const LABEL = {
  /** On containers, images and volumes: the app they belong to. */
  app: 'com.dokku.app',
  release: 'com.dokku.release',
  processType: 'com.dokku.process-type',
  processIndex: 'com.dokku.process-index',
  oneOff: 'com.dokku.one-off',
  /** On web containers: the container port the web process listens on (the others are extra EXPOSEd ports). */
  webPort: 'com.dokku.web-port',
  /** On built images and build containers: which builder made them, and with which buildpack. */
  builder: 'com.dokku.builder',
  buildpack: 'com.dokku.buildpack',
  /** On Docker networks dokku made: `network:create`'s name, or the app whose own network it is. */
  network: 'com.dokku.network',
  /** On the stack image this host builds. */
  stack: 'com.dokku.stack',
  /** On service containers and the images dokku builds for them: the kind (`postgres`), and the service's name and id. */
  service: 'com.dokku.service',
  serviceName: 'com.dokku.service-name',
  serviceId: 'com.dokku.service-id',
  /** On the images dokku builds for a kind: a hash of the definition's Dockerfile and files. */
  serviceBuild: 'com.dokku.service-build',
  /**
   * On swarm task containers: the app, in place of `app`, so docker-local never takes one for its
   * own. On swarm services: the replicas a service runs when started (kept while `ps:stop` has it at 0).
   */
  swarmApp: 'com.dokku.swarm-app',
  replicas: 'com.dokku.replicas',
} as const;
