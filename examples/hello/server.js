// The demo app: answers every request with a greeting, the release it runs and its commit.
const http = require('node:http');

const port = Number(process.env.PORT || 5000);
const message = process.env.MESSAGE || 'Hello from dokku';

http
  .createServer((req, res) => {
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.end(`${message}\nrelease: ${process.env.DOKKU_RELEASE_VERSION || 'unknown'}\ncommit: ${process.env.GIT_REV || 'none'}\n`);
  })
  .listen(port, () => console.log(`listening on ${port}`));
