// 我的签到记录: sign-ins and sign-outs, newest first, with hours credited.
const api = require('../../utils/api')
const format = require('../../utils/format')

const PER_PAGE = 20

function present(record) {
  return Object.assign({}, record, {
    when: format.dateTime(record.at),
    label: record.direction === 'out' ? '签退' : '签到',
    manual: record.method === 'manual',
  })
}

Component({
  data: { state: 'loading', message: '', items: [], page: 1, hasMore: false },
  methods: {
    onLoad() {
      return this.load()
    },
    async load() {
      try {
        const answer = await api.myCheckins({ page: 1, per_page: PER_PAGE })
        this.setData({
          state: answer.items.length ? 'ready' : 'empty',
          items: answer.items.map(present),
          page: 1,
          hasMore: answer.meta.pages > 1,
        })
      } catch (error) {
        this.setData({ state: 'error', message: error.message })
      }
    },
    async onReachBottom() {
      if (!this.data.hasMore) return
      try {
        const page = this.data.page + 1
        const answer = await api.myCheckins({ page, per_page: PER_PAGE })
        this.setData({ items: this.data.items.concat(answer.items.map(present)), page, hasMore: page < answer.meta.pages })
      } catch (error) {
        // shown by the request module
      }
    },
  },
})
