import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { defaultRouteInterface, hostAddressFrom } from '../../../src/proxy/host-ports.ts';

const ROUTES = [
  'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
  'docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
  'eth1\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
  'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
].join('\n');

const v4 = (address: string, internal = false): NetworkInterfaceInfo => ({ address, netmask: '255.255.255.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal, cidr: `${address}/24` });
const v6 = (address: string): NetworkInterfaceInfo => ({ address, netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '00:00:00:00:00:00', internal: false, cidr: `${address}/64`, scopeid: 0 });

describe('the address a vhost without domains is reached at', () => {
  const interfaces = { lo: [v4('127.0.0.1', true)], docker0: [v4('172.17.0.1')], eth0: [v4('10.0.0.5')], eth1: [v6('2001:db8::1'), v4('192.0.2.2')] };

  it('finds the default route\'s interface, skipping routes that are down', () => {
    expect(defaultRouteInterface(ROUTES)).toBe('eth1');
    expect(defaultRouteInterface(ROUTES.replace('eth1\t00000000\t010200C0\t0003', 'eth1\t00000000\t010200C0\t0002'))).toBeUndefined();
    expect(defaultRouteInterface('')).toBeUndefined();
  });

  it('is the first IPv4 address of that interface, not the first interface listed', () => {
    expect(hostAddressFrom('', ROUTES, interfaces)).toBe('192.0.2.2');
    expect(hostAddressFrom('0.0.0.0', ROUTES, interfaces)).toBe('192.0.2.2');
  });

  it('is the address nginx is bound to when it is bound to one', () => {
    expect(hostAddressFrom('127.0.0.1', ROUTES, interfaces)).toBe('127.0.0.1');
    expect(hostAddressFrom('10.0.0.5', ROUTES, interfaces)).toBe('10.0.0.5');
  });

  it('without a default route: any non-loopback IPv4 address, else loopback', () => {
    expect(hostAddressFrom('', '', interfaces)).toBe('172.17.0.1');
    expect(hostAddressFrom('', '', { lo: [v4('127.0.0.1', true)] })).toBe('127.0.0.1');
  });
});
