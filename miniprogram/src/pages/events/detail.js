// 活动详情: the event, my registration and sign-in state; register and cancel; 写感悟 after a 道德讲堂.
const api = require('../../utils/api')
const format = require('../../utils/format')

// Reflections are written after signing in to this kind of event.
const REFLECTION_KIND = '道德讲堂'

function present(event) {
  const me = event.me || {}
  const started = new Date(event.starts_at).getTime() <= Date.now()
  const full = event.capacity !== null && event.capacity !== undefined && event.registered_count >= event.capacity
  const open = event.status === 'published' && !started
  return {
    event: Object.assign({}, event, {
      when: `${format.dateTime(event.starts_at)} 至 ${format.dateTime(event.ends_at)}`,
      window: `${format.dateTime(event.checkin_opens_at)} 至 ${format.dateTime(event.checkin_closes_at)}`,
      cancelled: event.status === 'cancelled',
      geofenced: event.radius_m !== null && event.radius_m !== undefined,
    }),
    me: Object.assign({}, me, {
      checkedInAt: format.dateTime(me.checked_in_at),
      checkedOutAt: format.dateTime(me.checked_out_at),
    }),
    canRegister: event.registration_required && !me.registered && open && !full,
    full: event.registration_required && !me.registered && full,
    canCancel: event.registration_required && me.registered && open && !me.checked_in_at,
    canReflect: event.kind === REFLECTION_KIND && !!me.checked_in_at,
  }
}

Component({
  data: {
    id: null,
    state: 'loading',
    message: '',
    event: null,
    me: null,
    canRegister: false,
    canCancel: false,
    full: false,
    canReflect: false,
    busy: false,
  },
  methods: {
    onLoad(options) {
      this.setData({ id: options.id })
      return this.load()
    },
    async load() {
      try {
        const event = await api.event(this.data.id)
        this.setData(Object.assign({ state: 'ready' }, present(event)))
      } catch (error) {
        this.setData({ state: 'error', message: error.message })
      }
    },
    async onRegister() {
      if (this.data.busy) return
      this.setData({ busy: true })
      try {
        await api.register(this.data.id)
        wx.showToast({ title: '报名成功', icon: 'success' })
        await this.load()
      } catch (error) {
        // shown by the request module
      }
      this.setData({ busy: false })
    },
    async onCancel() {
      if (this.data.busy) return
      const { confirm } = await new Promise(resolve => wx.showModal({
        title: '取消报名',
        content: '确定取消报名吗？名额会让给其他同事。',
        success: resolve,
        fail: () => resolve({ confirm: false }),
      }))
      if (!confirm) return
      this.setData({ busy: true })
      try {
        await api.unregister(this.data.id)
        wx.showToast({ title: '已取消报名', icon: 'success' })
        await this.load()
      } catch (error) {
        // shown by the request module
      }
      this.setData({ busy: false })
    },
    onReflect() {
      wx.navigateTo({ url: `/pages/events/reflection?id=${this.data.id}` })
    },
    onScan() {
      wx.navigateTo({ url: '/pages/checkin/index' })
    },
  },
})
