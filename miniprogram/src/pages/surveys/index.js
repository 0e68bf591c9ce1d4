// 问卷调查: the open surveys, each marked answered or not.
const api = require('../../utils/api')
const { listPage } = require('../../utils/list-page')

Component(listPage({
  fetch: () => api.surveys(),
  present: survey => Object.assign({}, survey, { label: survey.answered ? '已填写' : '待填写' }),
  detail: '/pages/surveys/detail',
}))
