// 承诺: the published pledges and their signing windows.
const api = require('../../utils/api')
const format = require('../../utils/format')
const { listPage } = require('../../utils/list-page')

Component(listPage({
  fetch: () => api.pledges({ per_page: 50 }),
  present: (pledge) => Object.assign({}, pledge, {
    window: `${format.date(pledge.opens_at)} 至 ${format.date(pledge.closes_at)}`,
  }),
  detail: '/pages/pledges/detail',
}))
