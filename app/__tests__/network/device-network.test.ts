import NetInfo, { type NetInfoState } from '@react-native-community/netinfo';
import { watchBrowserNetwork as watchWeb } from '../../lib/network/browser-network';
import { watchDeviceNetwork as watchNative } from '../../lib/network/device-network.native';

describe('device network, on phones (NetInfo)', () => {
  it('reports changes only: a network there from the start is none, an unknown state is skipped', () => {
    let report: ((state: NetInfoState) => void) | undefined;
    const unsubscribe = jest.fn();
    jest.mocked(NetInfo.addEventListener).mockImplementation((listener) => {
      report = listener as (state: NetInfoState) => void;
      return unsubscribe;
    });
    const seen: boolean[] = [];
    const stop = watchNative((online) => seen.push(online));
    const state = (isConnected: boolean | null) => report!({ isConnected } as NetInfoState);
    state(true);
    state(true);
    state(null);
    state(false);
    state(false);
    state(true);
    expect(seen).toEqual([false, true]);
    stop();
    expect(unsubscribe).toHaveBeenCalled();
  });

  it('a device without a network at the start says so', () => {
    let report: ((state: NetInfoState) => void) | undefined;
    jest.mocked(NetInfo.addEventListener).mockImplementation((listener) => {
      report = listener as (state: NetInfoState) => void;
      return jest.fn();
    });
    const seen: boolean[] = [];
    watchNative((online) => seen.push(online));
    report!({ isConnected: false } as NetInfoState);
    expect(seen).toEqual([false]);
  });
});

describe('device network, on the web (online / offline events)', () => {
  // React Native's test environment has a window without events: give it an EventTarget's.
  const events = new EventTarget();
  const original = { add: window.addEventListener, remove: window.removeEventListener };
  beforeAll(() => {
    window.addEventListener = events.addEventListener.bind(events) as typeof window.addEventListener;
    window.removeEventListener = events.removeEventListener.bind(events) as typeof window.removeEventListener;
  });
  afterAll(() => {
    window.addEventListener = original.add;
    window.removeEventListener = original.remove;
  });

  it("follows the window's events until stopped", () => {
    const seen: boolean[] = [];
    const stop = watchWeb((online) => seen.push(online));
    events.dispatchEvent(new Event('offline'));
    events.dispatchEvent(new Event('online'));
    stop();
    events.dispatchEvent(new Event('offline'));
    expect(seen).toEqual([false, true]);
  });
});
