/**
 * Which receiving service carries out which action, and at which HTTP endpoint. The
 * agent side uses it to build the request a tool makes; each service uses the same
 * table to name the action a request must have been permitted for.
 */

/** The receiving services of the demo. */
export type ServiceName = 'bank' | 'warehouse' | 'ehr' | 'gateway'

/** Where each service listens: its origin, e.g. `http://127.0.0.1:41234`. */
export type ServiceDirectory = Readonly<Record<ServiceName, string>>

/** The HTTP request that carries out one action. */
export interface ActionRoute {
  readonly service: ServiceName
  readonly method: 'POST'
  /** The full URL, query included. */
  readonly url: string
}

interface RouteDefinition {
  readonly service: ServiceName
  /** The path for the arguments, or `undefined` when they cannot name one. */
  readonly path: (args: Readonly<Record<string, unknown>>) => string | undefined
  /** Matches a request path served for this action. */
  readonly pattern: RegExp
}

const identifier = /^[a-z0-9-]{1,64}$/

function segment(value: unknown): string | undefined {
  return typeof value === 'string' && identifier.test(value) ? value : undefined
}

const routes: Readonly<Record<string, RouteDefinition>> = Object.assign(Object.create(null), {
  'payments.transfer': {
    service: 'bank',
    path: () => '/transfers',
    pattern: /^\/transfers$/,
  },
  'bank.close_account': {
    service: 'bank',
    path: (args) => {
      const account = segment(args['account'])
      return account === undefined ? undefined : `/accounts/${account}/close`
    },
    pattern: /^\/accounts\/[a-z0-9-]{1,64}\/close$/,
  },
  'warehouse.export': {
    service: 'warehouse',
    path: () => '/exports',
    pattern: /^\/exports$/,
  },
  'ehr.write': {
    service: 'ehr',
    path: (args) => {
      const patient = segment(args['patient'])
      return patient === undefined ? undefined : `/patients/${patient}/record`
    },
    pattern: /^\/patients\/[a-z0-9-]{1,64}\/record$/,
  },
  'web.fetch': {
    service: 'gateway',
    path: () => '/pages',
    pattern: /^\/pages$/,
  },
  'email.send': {
    service: 'gateway',
    path: () => '/mail',
    pattern: /^\/mail$/,
  },
} satisfies Record<string, RouteDefinition>)

/** Every action a service of the demo can carry out. */
export const ROUTED_ACTIONS: readonly string[] = Object.keys(routes)

/**
 * The HTTP request that carries out `action` with `args`, or `undefined` when no
 * service carries it out (the tool then has nothing to call).
 */
export function routeOf(
  services: ServiceDirectory,
  action: string,
  args: Readonly<Record<string, unknown>>,
): ActionRoute | undefined {
  if (!Object.hasOwn(routes, action)) return undefined
  const route = routes[action]
  const path = route?.path(args)
  if (route === undefined || path === undefined) return undefined
  return { service: route.service, method: 'POST', url: `${services[route.service]}${path}` }
}

/**
 * The action a request received by `service` must carry a permit for, or a name no
 * policy permits when the endpoint is not one of its own (the guard then refuses it).
 */
export function actionServedAt(service: ServiceName, method: string, path: string): string {
  if (method === 'POST') {
    for (const action of ROUTED_ACTIONS) {
      const route = routes[action]
      if (route?.service === service && route.pattern.test(path)) return action
    }
  }
  return 'unrouted.request'
}
