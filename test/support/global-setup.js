// Says up front which databases the e2e suites run on, and how to add PostgreSQL when it is missing.
module.exports = async () => {
  const url = process.env.NETCORE_TEST_POSTGRES_URL;
  if (url) {
    process.stdout.write(`\ne2e: running every suite on SQLite and on PostgreSQL (${url.replace(/\/\/[^@]*@/, '//***@')})\n`);
  } else {
    process.stdout.write(
      '\ne2e: NETCORE_TEST_POSTGRES_URL is not set, so the PostgreSQL variants of the e2e suites are SKIPPED (SQLite only).\n' +
        '     To run them: bash .ci/start-postgres.sh, then export the URL it prints and run npm test again.\n',
    );
  }
};
