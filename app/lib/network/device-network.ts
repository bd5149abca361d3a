// The device's network, on the web (and in Node): the browser's events. Phones resolve
// device-network.native.ts (NetInfo) instead.
export { watchBrowserNetwork as watchDeviceNetwork } from './browser-network';
