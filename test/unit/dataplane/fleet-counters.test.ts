import { classifyConnectFailure } from '../../../sandbox/dataplane';

describe('classifyConnectFailure', () => {
  it('counts refused credentials as AuthError, in MQTT 3.1.1 and MQTT 5', () => {
    expect(classifyConnectFailure({ code: 5, message: 'Connection refused: Not authorized' })).toBe(
      'AuthError',
    );
    expect(classifyConnectFailure({ code: 0x86, message: 'Bad User Name or Password' })).toBe(
      'AuthError',
    );
  });

  it('counts a refused certificate as AuthError', () => {
    const err = Object.assign(new Error('certificate unknown'), { code: 'ERR_SSL_SSLV3_ALERT' });
    expect(classifyConnectFailure(err)).toBe('AuthError');
  });

  it('counts a refused socket or a timeout as ClientError', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(classifyConnectFailure(refused)).toBe('ClientError');
    expect(classifyConnectFailure(new Error('connack timeout'))).toBe('ClientError');
  });
});
