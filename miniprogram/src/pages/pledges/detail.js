// 承诺书: the full text, and my signature or the button to sign (signing again answers the first one).
const api = require('../../utils/api')
const format = require('../../utils/format')

function signature(signed) {
  return signed ? Object.assign({}, signed, { at: format.dateTime(signed.signed_at) }) : null
}

Component({
  data: { id: null, state: 'loading', message: '', pledge: null, signature: null, busy: false },
  methods: {
    onLoad(options) {
      this.setData({ id: options.id })
      return this.load()
    },
    async load() {
      try {
        const detail = await api.pledge(this.data.id)
        this.setData({
          state: 'ready',
          pledge: Object.assign({}, detail.pledge, {
            window: `${format.dateTime(detail.pledge.opens_at)} 至 ${format.dateTime(detail.pledge.closes_at)}`,
          }),
          signature: signature(detail.my_signature),
        })
      } catch (error) {
        this.setData({ state: 'error', message: error.message })
      }
    },
    async onSign() {
      if (this.data.busy) return
      this.setData({ busy: true })
      try {
        const signed = await api.signPledge(this.data.id)
        wx.showToast({ title: '签署成功', icon: 'success' })
        this.setData({ signature: signature(signed) })
      } catch (error) {
        // the backend's refusal is shown by the request module
      }
      this.setData({ busy: false })
    },
  },
})
