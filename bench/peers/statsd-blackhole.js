// A StatsD (Etsy reference daemon) backend that accepts every flush and sends nothing, so the
// side-by-side benchmark measures the daemon's receive, parse, aggregate and flush computation
// without a Graphite server. Loaded by absolute path from the config bench/peers/run writes.
'use strict';

exports.init = function init(startupTime, config, events) {
  let flushes = 0;
  events.on('flush', function onFlush() {
    flushes += 1;
  });
  events.on('status', function onStatus(write) {
    write(null, 'blackhole', 'flushes', flushes);
  });
  return true;
};
