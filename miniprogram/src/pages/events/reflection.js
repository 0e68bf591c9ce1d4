// 活动感悟: after signing in to a 道德讲堂, write my reflection (up to 1,000 characters) and edit it later.
const api = require('../../utils/api')
const format = require('../../utils/format')

const MAX_CHARS = 1000

Component({
  data: {
    id: null,
    state: 'loading',
    message: '',
    reflection: null,
    content: '',
    count: 0,
    max: MAX_CHARS,
    locked: false,
    refusal: '',
    busy: false,
  },
  methods: {
    onLoad(options) {
      this.setData({ id: options.id })
      return this.load()
    },
    async load() {
      try {
        this.show(await api.myReflection(this.data.id))
      } catch (error) {
        this.setData({ state: 'error', message: error.message })
      }
    },
    show(reflection) {
      const content = reflection ? reflection.content : ''
      this.setData({
        state: 'ready',
        reflection: reflection ? Object.assign({}, reflection, { updated: format.dateTime(reflection.updated_at) }) : null,
        content,
        count: content.length,
        locked: !!(reflection && reflection.locked),
      })
    },
    onInput(e) {
      const content = e.detail.value
      this.setData({ content, count: content.length, refusal: '' })
    },
    async onSubmit() {
      if (this.data.busy) return
      const content = this.data.content.trim()
      if (!content) {
        wx.showToast({ title: '请填写感悟', icon: 'none' })
        return
      }
      if (content.length > MAX_CHARS) {
        wx.showToast({ title: `感悟最多 ${MAX_CHARS} 字`, icon: 'none' })
        return
      }
      this.setData({ busy: true, refusal: '' })
      try {
        const reflection = await api.writeReflection(this.data.id, content)
        wx.showToast({ title: '感悟已保存', icon: 'success' })
        this.show(reflection)
      } catch (error) {
        this.setData({ refusal: error.message, locked: error.code === 'record_locked' })
      }
      this.setData({ busy: false })
    },
  },
})
