// matrix-js-sdk 43 needs Promise.withResolvers (Node 22+); the shared polyfill fills it on Node 20.
require('@clawchat/common/polyfills');
