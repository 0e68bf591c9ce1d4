// 扫码签到: scan in the app (wx.scanCode), or arrive from WeChat's scanner: an ordinary-link code brings
// the address in options.q, a mini-program code its token in options.scene. Each scan posts once with a
// fresh nonce (a retry of the same scan reuses it); the location is asked for only when the backend says
// the event needs it (location_required).
const api = require('../../utils/api')

function freshNonce() {
  const random = Math.random().toString(36).slice(2, 12)
  return `${Date.now().toString(36)}${random}`.replace(/[^A-Za-z0-9]/g, '').slice(0, 32)
}

// The scene of a mini-program code scanned with wx.scanCode (res.path is "pages/checkin/index?scene=…").
function sceneFromPath(path) {
  const match = /[?&]scene=([^&]*)/.exec(path || '')
  return match ? decodeURIComponent(match[1]) : ''
}

// GCJ-02, the system of the maps used in China (Tencent, AMap), where organisers pick an event's point.
function locate() {
  return new Promise((resolve, reject) => wx.getLocation({
    type: 'gcj02',
    success: resolve,
    fail: reject,
  }))
}

Component({
  data: {
    state: 'idle',
    result: null,
    refusal: '',
    needsSetting: false,
  },
  methods: {
    onLoad(options) {
      // WeChat hands both values over URL-encoded: decode each exactly once.
      if (options && options.q) return this.submit(decodeURIComponent(options.q))
      if (options && options.scene) return this.submit(decodeURIComponent(options.scene))
      return undefined
    },
    onScan() {
      return new Promise(resolve => wx.scanCode({
        onlyFromCamera: true,
        scanType: ['qrCode', 'wxCode'],
        success: res => resolve(this.submit(res.path ? sceneFromPath(res.path) : res.result)),
        fail: () => resolve(),
      }))
    },
    async submit(qr) {
      if (this.data.state === 'submitting') return
      if (!qr) {
        this.setData({ state: 'refused', refusal: '没有识别到签到码，请重新扫码', result: null })
        return
      }
      this.setData({ state: 'submitting', result: null, refusal: '', needsSetting: false })
      const body = { qr, nonce: freshNonce() }
      try {
        const result = await this.send(body)
        this.setData({ state: 'done', result })
      } catch (error) {
        this.setData({ state: 'refused', refusal: error.message, needsSetting: error.code === 'location_denied' })
      }
    },
    async send(body) {
      try {
        return await api.checkIn(body)
      } catch (error) {
        if (error.code !== 'location_required') throw error
      }
      let position
      try {
        position = await locate()
      } catch (err) {
        const denied = { code: 'location_denied', message: '该活动需要定位签到，请在设置中允许使用位置信息后重新扫码' }
        throw denied
      }
      return api.checkIn(Object.assign({}, body, { lat: position.latitude, lng: position.longitude }))
    },
    onOpenSetting() {
      wx.openSetting({})
    },
  },
})
