// The app itself holds nothing: sign-in happens in the request module on the first call.
App({
  globalData: {},
})
