import { h } from '../dom.ts'
import { demoUsers } from '../session.ts'

/** The sign-in screen: pick a demo user; `onSignIn` gets the id and may reject. */
export function signInView(onSignIn: (user: string) => Promise<void>): HTMLElement {
  const message = h('p', { class: 'message', role: 'alert' })
  const choose = (user: string) => {
    message.textContent = ''
    onSignIn(user).catch((error: unknown) => {
      message.textContent = `${error instanceof Error ? error.message : String(error)}. ${
        navigator.onLine ? '' : 'You are offline: the first sign-in needs the relay.'
      }`
    })
  }
  return h(
    'main',
    { id: 'main', class: 'sign-in' },
    h('h1', {}, 'Rowsync work orders'),
    h(
      'p',
      {},
      'An offline-first field-service app. Sign in as a demo user; open a second window to act as another device or another user.',
    ),
    h(
      'ul',
      { class: 'users' },
      ...demoUsers.map((user) =>
        h(
          'li',
          {},
          h(
            'button',
            { type: 'button', class: 'user', onclick: () => choose(user.id) },
            h('strong', {}, `Sign in as ${user.id}`),
            h('span', {}, user.description),
          ),
        ),
      ),
    ),
    message,
  )
}
