// 评选: the published selections with the phase each is in.
const api = require('../../utils/api')
const format = require('../../utils/format')
const { listPage } = require('../../utils/list-page')

Component(listPage({
  fetch: () => api.selections({ per_page: 50 }),
  present: (selection) => Object.assign({}, selection, {
    voteWindow: `${format.dateTime(selection.vote_from)} 至 ${format.dateTime(selection.vote_until)}`,
  }),
  detail: '/pages/selections/detail',
}))
