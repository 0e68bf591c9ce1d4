// 我的: profile, volunteer hours, links to my sign-ins, my wishes, 评选, 承诺书, 问卷 and 整改, log out.
const api = require('../../utils/api')
const { login, logout } = require('../../utils/request')

Component({
  data: { state: 'loading', message: '', loggedOut: false, staff: null, hours: null },
  methods: {
    onShow() {
      return this.load()
    },
    async load() {
      try {
        const me = await api.me()
        if (!me.bound) {
          wx.reLaunch({ url: '/pages/bind/index' })
          return
        }
        const hours = await api.volunteerHours()
        this.setData({ state: 'ready', loggedOut: false, staff: me.staff, hours })
      } catch (error) {
        this.setData({ state: 'error', message: error.message, loggedOut: error.code === 'logged_out' })
      }
    },
    onCheckins() {
      wx.navigateTo({ url: '/pages/me/checkins' })
    },
    onWishes() {
      wx.navigateTo({ url: '/pages/wishes/mine' })
    },
    onSelections() {
      wx.navigateTo({ url: '/pages/selections/index' })
    },
    onPledges() {
      wx.navigateTo({ url: '/pages/pledges/index' })
    },
    onSurveys() {
      wx.navigateTo({ url: '/pages/surveys/index' })
    },
    onRectifications() {
      wx.navigateTo({ url: '/pages/rectifications/index' })
    },
    async onLogout() {
      const { confirm } = await new Promise(resolve => wx.showModal({
        title: '退出登录',
        content: '退出后需重新登录才能使用，确定退出吗？',
        success: resolve,
        fail: () => resolve({ confirm: false }),
      }))
      if (!confirm) return
      try {
        await logout()
      } catch (error) {
        // the token is forgotten here even if the server could not be told
      }
      this.setData({ loggedOut: true, staff: null, hours: null })
    },
    async onLogin() {
      this.setData({ state: 'loading', loggedOut: false })
      try {
        await login()
      } catch (error) {
        this.setData({ state: 'error', message: error.message })
        return
      }
      await this.load()
    },
  },
})
