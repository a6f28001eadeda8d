<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ja" sourcelanguage="en">
<context>
    <name>AdjustDialog</name>
    <message>
        <location filename="../adjust_dialog.py" line="25"/>
        <source>Brightness</source>
        <translation>明るさ</translation>
    </message>
    <message>
        <location filename="../adjust_dialog.py" line="26"/>
        <source>Contrast</source>
        <translation>コントラスト</translation>
    </message>
    <message>
        <location filename="../adjust_dialog.py" line="27"/>
        <source>Gamma</source>
        <translation>ガンマ</translation>
    </message>
    <message>
        <location filename="../adjust_dialog.py" line="36"/>
        <source>Image adjustments</source>
        <translation>画像の調整</translation>
    </message>
    <message>
        <location filename="../adjust_dialog.py" line="51"/>
        <source>Grayscale</source>
        <translation>グレースケール</translation>
    </message>
    <message>
        <location filename="../adjust_dialog.py" line="53"/>
        <source>Invert (white on black)</source>
        <translation>反転（黒地に白）</translation>
    </message>
</context>
<context>
    <name>App</name>
    <message>
        <location filename="../app.py" line="109"/>
        <source>The music engine could not start (%1); reading without a soundtrack.</source>
        <translation>音楽エンジンを起動できませんでした（%1）。サウンドトラックなしで読みます。</translation>
    </message>
</context>
<context>
    <name>Banner</name>
    <message>
        <location filename="../banner.py" line="22"/>
        <source>Dismiss</source>
        <translation>閉じる</translation>
    </message>
</context>
<context>
    <name>BookOpener</name>
    <message>
        <location filename="../reader_opening.py" line="35"/>
        <source>Opening %1…</source>
        <translation>%1 を開いています…</translation>
    </message>
    <message>
        <location filename="../reader_opening.py" line="67"/>
        <source>Opened %1 (%2 pages)</source>
        <translation>%1 を開きました（%2 ページ）</translation>
    </message>
</context>
<context>
    <name>EmotionBars</name>
    <message>
        <location filename="../soundtrack_panel.py" line="34"/>
        <source>anger</source>
        <translation>怒り</translation>
    </message>
    <message>
        <location filename="../soundtrack_panel.py" line="35"/>
        <source>disgust</source>
        <translation>嫌悪</translation>
    </message>
    <message>
        <location filename="../soundtrack_panel.py" line="36"/>
        <source>fear</source>
        <translation>恐れ</translation>
    </message>
    <message>
        <location filename="../soundtrack_panel.py" line="37"/>
        <source>happiness</source>
        <translation>喜び</translation>
    </message>
    <message>
        <location filename="../soundtrack_panel.py" line="38"/>
        <source>neutral</source>
        <translation>平静</translation>
    </message>
    <message>
        <location filename="../soundtrack_panel.py" line="39"/>
        <source>sadness</source>
        <translation>悲しみ</translation>
    </message>
    <message>
        <location filename="../soundtrack_panel.py" line="40"/>
        <source>surprise</source>
        <translation>驚き</translation>
    </message>
</context>
<context>
    <name>LibraryWindow</name>
    <message>
        <location filename="../library_cards.py" line="57"/>
        <source>No cover</source>
        <translation>表紙なし</translation>
    </message>
    <message>
        <location filename="../library_cards.py" line="61"/>
        <source>♪ offline</source>
        <translation>♪ オフライン</translation>
    </message>
    <message>
        <location filename="../library_cards.py" line="98"/>
        <source>Page %1 of %2</source>
        <translation>%1 / %2 ページ</translation>
    </message>
    <message>
        <location filename="../library_cards.py" line="103"/>
        <source>%1 pages · new</source>
        <translation>%1 ページ · 未読</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="69"/>
        <source>Library — m2m-reader</source>
        <translation>ライブラリ — m2m-reader</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="96"/>
        <source>Your library is empty.
Add a book, or drop a book file or folder here.</source>
        <translation>ライブラリは空です。
本を追加するか、本のファイルやフォルダをここにドロップしてください。</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="138"/>
        <source>Library</source>
        <translation>ライブラリ</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="141"/>
        <source>  Library  </source>
        <translation>  ライブラリ  </translation>
    </message>
    <message>
        <location filename="../library_filter.py" line="63"/>
        <source>Search titles and series</source>
        <translation>タイトルとシリーズを検索</translation>
    </message>
    <message>
        <location filename="../library_filter.py" line="70"/>
        <location filename="../library_filter.py" line="133"/>
        <source>Recently read</source>
        <translation>最近読んだ本</translation>
    </message>
    <message>
        <location filename="../library_filter.py" line="71"/>
        <source>Title</source>
        <translation>タイトル</translation>
    </message>
    <message>
        <location filename="../library_filter.py" line="72"/>
        <source>Series and number</source>
        <translation>シリーズと巻数</translation>
    </message>
    <message>
        <location filename="../library_filter.py" line="73"/>
        <source>Date added</source>
        <translation>追加日</translation>
    </message>
    <message>
        <location filename="../library_filter.py" line="74"/>
        <source>Progress</source>
        <translation>進み具合</translation>
    </message>
    <message>
        <location filename="../library_filter.py" line="77"/>
        <source>Sort the books</source>
        <translation>本の並べ替え</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="156"/>
        <source>+  Add book…</source>
        <translation>+  本を追加…</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="157"/>
        <source>+  Add folder…</source>
        <translation>+  フォルダを追加…</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="158"/>
        <source>Remove</source>
        <translation>削除</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="163"/>
        <source>♪  Prepare for offline</source>
        <translation>♪  オフライン用に準備</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="165"/>
        <source>Compute the whole soundtrack of the selected books, to read them offline</source>
        <translation>選んだ本のサウンドトラックをすべて作り、オフラインで読めるようにします</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="169"/>
        <source>⚙  Settings</source>
        <translation>⚙  設定</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="365"/>
        <source>Books: %1</source>
        <translation>本: %1 冊</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="206"/>
        <source>Adding %1…</source>
        <translation>%1 を追加中…</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="212"/>
        <source>Added %1</source>
        <translation>%1 を追加しました</translation>
    </message>
    <message>
        <location filename="../library_menu.py" line="54"/>
        <source>Add books</source>
        <translation>本を追加</translation>
    </message>
    <message>
        <location filename="../library_menu.py" line="55"/>
        <source>Books</source>
        <translation>本</translation>
    </message>
    <message>
        <location filename="../library_menu.py" line="57"/>
        <source>All files</source>
        <translation>すべてのファイル</translation>
    </message>
    <message>
        <location filename="../library_menu.py" line="67"/>
        <source>Add a folder of images</source>
        <translation>画像のフォルダを追加</translation>
    </message>
    <message>
        <location filename="../library_menu.py" line="30"/>
        <source>Open</source>
        <translation>開く</translation>
    </message>
    <message>
        <location filename="../library_menu.py" line="35"/>
        <source>Stop preparing</source>
        <translation>準備を中止</translation>
    </message>
    <message>
        <location filename="../library_menu.py" line="39"/>
        <source>Prepare for offline</source>
        <translation>オフライン用に準備</translation>
    </message>
    <message>
        <location filename="../library_menu.py" line="43"/>
        <source>Show in folder</source>
        <translation>フォルダを表示</translation>
    </message>
    <message>
        <location filename="../library_menu.py" line="46"/>
        <source>Remove from library</source>
        <translation>ライブラリから削除</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="295"/>
        <source>Select a book to prepare for offline reading.</source>
        <translation>オフラインで読むために準備する本を選んでください。</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="301"/>
        <source>Stopped preparing.</source>
        <translation>準備を中止しました。</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="310"/>
        <source>Preparing %1 for offline reading…</source>
        <translation>%1 をオフライン用に準備中…</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="319"/>
        <source>Preparing %1: music for %2 of %3 pages</source>
        <translation>%1 を準備中: %3 ページ中 %2 ページの音楽ができました</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="333"/>
        <source>ready to read offline</source>
        <translation>オフラインで読めます</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="335"/>
        <source>music for %1 of %2 pages</source>
        <translation>%2 ページ中 %1 ページの音楽</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="343"/>
        <source>Preparing %1 failed: %2</source>
        <translation>%1 の準備に失敗しました: %2</translation>
    </message>
    <message>
        <location filename="../library_filter.py" line="132"/>
        <source>All books</source>
        <translation>すべての本</translation>
    </message>
    <message>
        <location filename="../library_filter.py" line="140"/>
        <source>SERIES</source>
        <translation>シリーズ</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="374"/>
        <source>No book matches.</source>
        <translation>一致する本はありません。</translation>
    </message>
</context>
<context>
    <name>MoodTimeline</name>
    <message>
        <location filename="../mood_timeline.py" line="204"/>
        <source>Page %1</source>
        <translation>%1 ページ</translation>
    </message>
    <message>
        <location filename="../mood_timeline.py" line="210"/>
        <source>reading…</source>
        <translation>読み取り中…</translation>
    </message>
    <message>
        <location filename="../mood_timeline.py" line="212"/>
        <source> · scene pages %1–%2 · %3</source>
        <translation> · シーン %1–%2 ページ · %3</translation>
    </message>
    <message>
        <location filename="../mood_timeline.py" line="215"/>
        <source> · music ready</source>
        <translation> · 音楽あり</translation>
    </message>
</context>
<context>
    <name>Navigator</name>
    <message>
        <location filename="../reader_navigation.py" line="103"/>
        <source>Go to page</source>
        <translation>ページへ移動</translation>
    </message>
    <message>
        <location filename="../reader_navigation.py" line="104"/>
        <source>Page (1–%1):</source>
        <translation>ページ（1–%1）:</translation>
    </message>
</context>
<context>
    <name>PageView</name>
    <message>
        <location filename="../page_slots.py" line="21"/>
        <source>Password-protected page</source>
        <translation>パスワードで保護されたページ</translation>
    </message>
    <message>
        <location filename="../page_slots.py" line="23"/>
        <source>Damaged page</source>
        <translation>壊れたページ</translation>
    </message>
    <message>
        <location filename="../page_slots.py" line="24"/>
        <source>Unreadable page</source>
        <translation>読めないページ</translation>
    </message>
    <message>
        <location filename="../page_slots.py" line="34"/>
        <source>Loading…</source>
        <translation>読み込み中…</translation>
    </message>
    <message>
        <location filename="../page_slots.py" line="100"/>
        <source>Reading continues with the next page.</source>
        <translation>次のページから読み続けられます。</translation>
    </message>
</context>
<context>
    <name>PlayerControls</name>
    <message>
        <location filename="../controls.py" line="24"/>
        <location filename="../controls.py" line="104"/>
        <source>▶  Play</source>
        <translation>▶  再生</translation>
    </message>
    <message>
        <location filename="../controls.py" line="24"/>
        <source>Play or pause the music (P)</source>
        <translation>音楽を再生・一時停止 (P)</translation>
    </message>
    <message>
        <location filename="../controls.py" line="25"/>
        <location filename="../controls.py" line="111"/>
        <source>Mute</source>
        <translation>消音</translation>
    </message>
    <message>
        <location filename="../controls.py" line="27"/>
        <location filename="../controls.py" line="52"/>
        <source>Volume</source>
        <translation>音量</translation>
    </message>
    <message>
        <location filename="../controls.py" line="30"/>
        <source>Crossfade between pages, in seconds</source>
        <translation>ページ間のクロスフェード（秒）</translation>
    </message>
    <message>
        <location filename="../controls.py" line="36"/>
        <source>Offline</source>
        <translation>オフライン</translation>
    </message>
    <message>
        <location filename="../controls.py" line="37"/>
        <source>Offline: no network at all; the cache and local backends only</source>
        <translation>オフライン: ネットワークを一切使わず、キャッシュとローカルのバックエンドだけを使う</translation>
    </message>
    <message>
        <location filename="../controls.py" line="56"/>
        <source>Crossfade</source>
        <translation>クロスフェード</translation>
    </message>
    <message>
        <location filename="../controls.py" line="104"/>
        <source>❚❚  Pause</source>
        <translation>❚❚  一時停止</translation>
    </message>
    <message>
        <location filename="../controls.py" line="111"/>
        <source>Unmute</source>
        <translation>消音を解除</translation>
    </message>
</context>
<context>
    <name>ReaderBar</name>
    <message>
        <location filename="../reader_bar.py" line="25"/>
        <source>Single page</source>
        <translation>単ページ</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="26"/>
        <source>Two pages</source>
        <translation>見開き</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="27"/>
        <source>Auto pages</source>
        <translation>自動</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="28"/>
        <source>Fit page</source>
        <translation>ページに合わせる</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="29"/>
        <source>Fit width</source>
        <translation>幅に合わせる</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="30"/>
        <source>Fit height</source>
        <translation>高さに合わせる</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="31"/>
        <source>Original</source>
        <translation>原寸</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="72"/>
        <source>Left</source>
        <translation>左へ</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="73"/>
        <source>Right</source>
        <translation>右へ</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="74"/>
        <source>Read on</source>
        <translation>先へ読む</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="75"/>
        <source>Read back</source>
        <translation>戻って読む</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="76"/>
        <source>Next page</source>
        <translation>次のページ</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="77"/>
        <source>Previous page</source>
        <translation>前のページ</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="78"/>
        <source>First page</source>
        <translation>最初のページ</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="79"/>
        <source>Last page</source>
        <translation>最後のページ</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="80"/>
        <source>Go to page…</source>
        <translation>ページへ移動…</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="81"/>
        <source>Fullscreen</source>
        <translation>全画面</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="82"/>
        <source>Leave fullscreen</source>
        <translation>全画面を終了</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="83"/>
        <source>Double pages</source>
        <translation>見開き</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="85"/>
        <source>Vertical strip</source>
        <translation>縦スクロール</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="88"/>
        <source>Crop white borders</source>
        <translation>白い余白を切り取る</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="92"/>
        <source>Split spreads</source>
        <translation>見開きを分割</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="95"/>
        <source>Shift pairing here</source>
        <translation>ここで見開きの組をずらす</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="96"/>
        <source>Adjust image…</source>
        <translation>画像の調整…</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="98"/>
        <source>Page thumbnails</source>
        <translation>ページのサムネイル</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="100"/>
        <source>Thumbnail grid</source>
        <translation>サムネイルの一覧</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="102"/>
        <source>Bookmark this page</source>
        <translation>このページにしおり</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="104"/>
        <source>Next bookmark</source>
        <translation>次のしおり</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="105"/>
        <source>Previous bookmark</source>
        <translation>前のしおり</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="107"/>
        <source>Manga direction (right to left)</source>
        <translation>マンガの向き（右から左）</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="111"/>
        <source>Zoom in</source>
        <translation>拡大</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="112"/>
        <source>Zoom out</source>
        <translation>縮小</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="113"/>
        <source>Actual zoom</source>
        <translation>等倍</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="114"/>
        <source>Play/pause</source>
        <translation>再生・一時停止</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="124"/>
        <source>Reader</source>
        <translation>リーダー</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="128"/>
        <source>☰  Library</source>
        <translation>☰  ライブラリ</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="143"/>
        <source>Cover alone</source>
        <translation>表紙は単独</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="144"/>
        <source>In double layout, show the first page alone</source>
        <translation>見開き表示で最初のページを単独で表示</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="148"/>
        <source>Pages side by side (D)</source>
        <translation>ページを並べて表示 (D)</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="156"/>
        <source>Crop, split, pairing, colours</source>
        <translation>切り取り・分割・組み合わせ・色</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="156"/>
        <source>Image  ▾</source>
        <translation>画像  ▾</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="160"/>
        <source>Reading direction (M)</source>
        <translation>読む方向 (M)</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="172"/>
        <source>Fit</source>
        <translation>合わせ方</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="178"/>
        <source>Thumbnails</source>
        <translation>サムネイル</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="179"/>
        <source>Page thumbnails (T); Shift+T for a grid</source>
        <translation>ページのサムネイル (T)。Shift+T で一覧</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="185"/>
        <source>Bookmarks (Ctrl+B, B)</source>
        <translation>しおり (Ctrl+B, B)</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="185"/>
        <source>☆  ▾</source>
        <translation>☆  ▾</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="192"/>
        <source>♪  Soundtrack</source>
        <translation>♪  サウンドトラック</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="196"/>
        <source>⚙  Settings</source>
        <translation>⚙  設定</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="205"/>
        <source>Gap between pages</source>
        <translation>ページの間隔</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="209"/>
        <source>Side padding</source>
        <translation>左右の余白</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="220"/>
        <source>Vertical</source>
        <translation>縦</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="221"/>
        <source>Continuous vertical strip for this book (V)</source>
        <translation>この本を縦に続けて表示 (V)</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="243"/>
        <source>⇠  Right to left</source>
        <translation>⇠  右から左</translation>
    </message>
    <message>
        <location filename="../reader_bar.py" line="243"/>
        <source>⇢  Left to right</source>
        <translation>⇢  左から右</translation>
    </message>
</context>
<context>
    <name>ReaderWindow</name>
    <message>
        <location filename="../reader_panels.py" line="35"/>
        <source>SOUNDTRACK</source>
        <translation>サウンドトラック</translation>
    </message>
    <message>
        <location filename="../reader_window.py" line="110"/>
        <source>Soundtrack panel</source>
        <translation>サウンドトラックパネル</translation>
    </message>
    <message>
        <location filename="../reader_window.py" line="113"/>
        <source>Show or hide the soundtrack panel (S)</source>
        <translation>サウンドトラックパネルの表示・非表示 (S)</translation>
    </message>
    <message>
        <location filename="../reader_panels.py" line="52"/>
        <source>PAGES</source>
        <translation>ページ</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../settings_dialog.py" line="38"/>
        <source>Built-in (offline)</source>
        <translation>内蔵（オフライン）</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="39"/>
        <source>OpenAI-compatible endpoint</source>
        <translation>OpenAI 互換エンドポイント</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="40"/>
        <source>CLIP on faces</source>
        <translation>顔に CLIP</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="41"/>
        <source>As the text stages</source>
        <translation>テキスト段階と同じ</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="42"/>
        <source>manga-ocr (Japanese)</source>
        <translation>manga-ocr（日本語）</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="43"/>
        <source>Magi v2 (non-commercial use)</source>
        <translation>Magi v2（非商用）</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="44"/>
        <source>Built-in composer</source>
        <translation>内蔵作曲エンジン</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="45"/>
        <source>MusicGen</source>
        <translation>MusicGen</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="46"/>
        <source>My music folder</source>
        <translation>自分の音楽フォルダ</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="47"/>
        <source>Measured features (built in)</source>
        <translation>測定した特徴（内蔵）</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="48"/>
        <source>CLAP model</source>
        <translation>CLAP モデル</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="49"/>
        <source>Right to left</source>
        <translation>右から左</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="50"/>
        <source>Left to right</source>
        <translation>左から右</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="55"/>
        <source>System language</source>
        <translation>システムの言語</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="60"/>
        <source>Follow the system</source>
        <translation>システムに合わせる</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="61"/>
        <source>Dark</source>
        <translation>ダーク</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="62"/>
        <source>Light</source>
        <translation>ライト</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="92"/>
        <source>A MusicGen size, a Hugging Face id (owner/name) or a local folder</source>
        <translation>MusicGen のサイズ、Hugging Face の ID（owner/name）、またはローカルフォルダ</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="103"/>
        <source>System default</source>
        <translation>システムの既定</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="111"/>
        <source>  · default</source>
        <translation>  · 既定</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="114"/>
        <source>%1 (not found now)</source>
        <translation>%1（現在見つかりません）</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="122"/>
        <source>Settings</source>
        <translation>設定</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="135"/>
        <source>The most one request may take, its retries included; an endpoint that keeps failing is left for the built-in stage</source>
        <translation>1 回のリクエストにかけられる最長時間（再試行を含む）。失敗し続けるエンドポイントは内蔵の段階に任せます</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="142"/>
        <source>Using OPENAI_API_KEY from the environment</source>
        <translation>環境変数 OPENAI_API_KEY を使用中</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="147"/>
        <source>Not needed for a local server</source>
        <translation>ローカルサーバーでは不要</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="152"/>
        <source>Who reads pages without annotations: Tesseract (built in), manga-ocr, Magi v2 or the vision LLM (models download manga-ocr|magi fetches their weights)</source>
        <translation>注釈のないページを読むもの: Tesseract（内蔵）、manga-ocr、Magi v2、またはビジョン LLM（models download manga-ocr|magi で重みを取得）</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="161"/>
        <source>Where the models run: auto, cpu, cuda or cuda:N</source>
        <translation>モデルを実行する場所: auto、cpu、cuda、または cuda:N</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="162"/>
        <source>Find an installed one</source>
        <translation>インストール済みのものを探す</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="163"/>
        <location filename="../settings_dialog.py" line="171"/>
        <source>Browse…</source>
        <translation>参照…</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="169"/>
        <source>A folder of your own music</source>
        <translation>自分の音楽のフォルダ</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="182"/>
        <source>Offline: open no network connection at all</source>
        <translation>オフライン: ネットワーク接続を一切開かない</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="186"/>
        <source>The window&apos;s language, from the next start</source>
        <translation>ウィンドウの言語（次回の起動から）</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="192"/>
        <source>Text stages</source>
        <translation>テキスト段階</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="193"/>
        <source>Endpoint</source>
        <translation>エンドポイント</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="194"/>
        <source>Model</source>
        <translation>モデル</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="195"/>
        <source>API key</source>
        <translation>API キー</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="196"/>
        <source>Timeout</source>
        <translation>タイムアウト</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="197"/>
        <source>Emotions</source>
        <translation>感情</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="198"/>
        <source>Page reading</source>
        <translation>ページの読み取り</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="200"/>
        <source>Analysis</source>
        <translation>分析</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="203"/>
        <location filename="../settings_dialog.py" line="211"/>
        <source>Music</source>
        <translation>音楽</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="204"/>
        <source>MusicGen model</source>
        <translation>MusicGen モデル</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="205"/>
        <source>Compute device</source>
        <translation>計算デバイス</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="207"/>
        <source>SoundFont</source>
        <translation>サウンドフォント</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="208"/>
        <source>Music folder</source>
        <translation>音楽フォルダ</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="209"/>
        <source>Track picking</source>
        <translation>曲の選び方</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="210"/>
        <source>Sound output</source>
        <translation>音声出力</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="214"/>
        <source>Cache size</source>
        <translation>キャッシュサイズ</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="216"/>
        <source>Books that do not say</source>
        <translation>方向を指定しない本</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="217"/>
        <source>Language (next start)</source>
        <translation>言語（次回の起動から）</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="218"/>
        <source>Colours</source>
        <translation>配色</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="220"/>
        <source>General</source>
        <translation>一般</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="243"/>
        <source>Choose a SoundFont</source>
        <translation>サウンドフォントを選ぶ</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="243"/>
        <source>SoundFonts (*.sf2 *.sf3)</source>
        <translation>サウンドフォント (*.sf2 *.sf3)</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="249"/>
        <source>Choose your music folder</source>
        <translation>音楽フォルダを選ぶ</translation>
    </message>
</context>
<context>
    <name>ShortcutEditor</name>
    <message>
        <location filename="../shortcuts.py" line="215"/>
        <source>Keyboard shortcuts</source>
        <translation>キーボードショートカット</translation>
    </message>
    <message>
        <location filename="../shortcuts.py" line="219"/>
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <location filename="../shortcuts.py" line="219"/>
        <source>Key</source>
        <translation>キー</translation>
    </message>
    <message>
        <location filename="../shortcuts.py" line="219"/>
        <source>Also</source>
        <translation>ほかのキー</translation>
    </message>
    <message>
        <location filename="../shortcuts.py" line="286"/>
        <source>%1 is given to both “%2” and “%3”.</source>
        <translation>%1 は「%2」と「%3」の両方に割り当てられています。</translation>
    </message>
</context>
<context>
    <name>ShortcutOverlay</name>
    <message>
        <location filename="../shortcuts.py" line="75"/>
        <location filename="../shortcuts.py" line="112"/>
        <source>Keyboard shortcuts</source>
        <translation>キーボードショートカット</translation>
    </message>
    <message>
        <location filename="../shortcuts.py" line="126"/>
        <source>Press ? or Esc to close</source>
        <translation>? または Esc で閉じる</translation>
    </message>
    <message>
        <location filename="../shortcuts.py" line="127"/>
        <source>Customise…</source>
        <translation>カスタマイズ…</translation>
    </message>
</context>
<context>
    <name>SoundtrackPanel</name>
    <message>
        <location filename="../soundtrack_panel.py" line="193"/>
        <source>No scene yet</source>
        <translation>まだシーンがありません</translation>
    </message>
    <message>
        <location filename="../soundtrack_panel.py" line="199"/>
        <source>Scene directive</source>
        <translation>シーンの指示</translation>
    </message>
    <message>
        <location filename="../soundtrack_panel.py" line="199"/>
        <source>Regenerate scene</source>
        <translation>シーンを作り直す</translation>
    </message>
    <message>
        <location filename="../soundtrack_panel.py" line="200"/>
        <source>Page caption</source>
        <translation>ページのキャプション</translation>
    </message>
    <message>
        <location filename="../soundtrack_panel.py" line="200"/>
        <source>Regenerate page</source>
        <translation>ページを作り直す</translation>
    </message>
    <message>
        <location filename="../soundtrack_panel.py" line="201"/>
        <source>Nothing playing</source>
        <translation>再生していません</translation>
    </message>
    <message>
        <location filename="../soundtrack_panel.py" line="203"/>
        <source>Engine idle</source>
        <translation>エンジン待機中</translation>
    </message>
    <message>
        <location filename="../soundtrack_panel.py" line="208"/>
        <source>Prepare whole book for offline</source>
        <translation>本全体をオフライン用に準備</translation>
    </message>
    <message>
        <location filename="../soundtrack_panel.py" line="214"/>
        <source>Now playing</source>
        <translation>再生中</translation>
    </message>
    <message>
        <location filename="../soundtrack_panel.py" line="224"/>
        <source>Emotions in this scene</source>
        <translation>このシーンの感情</translation>
    </message>
    <message>
        <location filename="../soundtrack_panel.py" line="255"/>
        <source>Caption · page %1</source>
        <translation>キャプション · %1 ページ</translation>
    </message>
    <message>
        <location filename="../soundtrack_panel.py" line="258"/>
        <source>Analysing…</source>
        <translation>分析中…</translation>
    </message>
    <message>
        <location filename="../soundtrack_panel.py" line="268"/>
        <source>Scene %1 · pages %2–%3</source>
        <translation>シーン %1 · %2–%3 ページ</translation>
    </message>
    <message>
        <location filename="../soundtrack_panel.py" line="272"/>
        <source> (provisional)</source>
        <translation>（仮）</translation>
    </message>
    <message>
        <location filename="../soundtrack_panel.py" line="306"/>
        <source>%1: done (%2)</source>
        <translation>%1：完了（%2）</translation>
    </message>
    <message>
        <location filename="../soundtrack_panel.py" line="308"/>
        <source>%1: %2 of %3</source>
        <translation>%1：%2 / %3</translation>
    </message>
</context>
<context>
    <name>SoundtrackStatus</name>
    <message>
        <location filename="../reader_sound.py" line="43"/>
        <source>The language model could not start; the built-in text reading is used.</source>
        <translation>言語モデルを起動できませんでした。内蔵のテキスト読み取りを使います。</translation>
    </message>
    <message>
        <location filename="../reader_sound.py" line="47"/>
        <source>The chosen page reader could not start; the built-in one reads the pages.</source>
        <translation>選んだページ読み取りを起動できませんでした。内蔵のものでページを読みます。</translation>
    </message>
    <message>
        <location filename="../reader_sound.py" line="51"/>
        <source>The chosen emotion model could not start; the built-in one is used.</source>
        <translation>選んだ感情モデルを起動できませんでした。内蔵のものを使います。</translation>
    </message>
    <message>
        <location filename="../reader_sound.py" line="54"/>
        <source>The chosen music could not start; the built-in composer plays instead.</source>
        <translation>選んだ音楽を起動できませんでした。代わりに内蔵の作曲エンジンが演奏します。</translation>
    </message>
    <message>
        <location filename="../reader_sound.py" line="58"/>
        <source>A backend could not start; the built-in one took over.</source>
        <translation>バックエンドを起動できませんでした。内蔵のものが代わりに動きます。</translation>
    </message>
    <message>
        <location filename="../reader_sound.py" line="59"/>
        <source>Soundtrack</source>
        <translation>サウンドトラック</translation>
    </message>
    <message>
        <location filename="../reader_sound.py" line="60"/>
        <source>Analysis</source>
        <translation>分析</translation>
    </message>
    <message>
        <location filename="../reader_sound.py" line="61"/>
        <source>Indexing your music</source>
        <translation>音楽フォルダを読み込み中</translation>
    </message>
    <message>
        <location filename="../reader_sound.py" line="89"/>
        <source>Starting the music engine…</source>
        <translation>音楽エンジンを起動中…</translation>
    </message>
    <message>
        <location filename="../reader_sound.py" line="90"/>
        <source>Music engine ready.</source>
        <translation>音楽エンジンの準備ができました。</translation>
    </message>
    <message>
        <location filename="../reader_sound.py" line="103"/>
        <source>Something went wrong; reading goes on.</source>
        <translation>問題が起きました。読書はそのまま続けられます。</translation>
    </message>
    <message>
        <location filename="../reader_sound.py" line="107"/>
        <source>The music of page %1 could not be made; reading goes on.</source>
        <translation>%1 ページの音楽を作れませんでした。読書はそのまま続けられます。</translation>
    </message>
    <message>
        <location filename="../reader_sound.py" line="125"/>
        <source>New music ready for page %1.</source>
        <translation>%1 ページの新しい音楽ができました。</translation>
    </message>
    <message>
        <location filename="../reader_sound.py" line="131"/>
        <source> Music is off (no sound device).</source>
        <translation> 音楽は止まっています（音声デバイスがありません）。</translation>
    </message>
    <message>
        <location filename="../reader_sound.py" line="132"/>
        <source>Music for page %1 is ready (%2).</source>
        <translation>%1 ページの音楽ができました（%2）。</translation>
    </message>
    <message>
        <location filename="../reader_sound.py" line="133"/>
        <source>cached</source>
        <translation>キャッシュ</translation>
    </message>
    <message>
        <location filename="../reader_sound.py" line="143"/>
        <source> · new music ready</source>
        <translation> · 新しい音楽</translation>
    </message>
    <message>
        <location filename="../reader_sound.py" line="144"/>
        <source>Page %1</source>
        <translation>%1 ページ</translation>
    </message>
    <message>
        <location filename="../reader_sound.py" line="146"/>
        <source> · scene %1</source>
        <translation> · シーン %1</translation>
    </message>
    <message>
        <location filename="../reader_sound.py" line="152"/>
        <source>: music ready. Music is off (no sound device).</source>
        <translation>: 音楽はできています。音楽は止まっています（音声デバイスがありません）。</translation>
    </message>
    <message>
        <location filename="../reader_sound.py" line="155"/>
        <source>: muted.</source>
        <translation>: 消音中。</translation>
    </message>
    <message>
        <location filename="../reader_sound.py" line="157"/>
        <source>: music ready, not playing.</source>
        <translation>: 音楽はできていますが、再生していません。</translation>
    </message>
    <message>
        <location filename="../reader_sound.py" line="165"/>
        <source>Music is off (the sound device went away).</source>
        <translation>音楽は止まっています（音声デバイスがなくなりました）。</translation>
    </message>
    <message>
        <location filename="../reader_sound.py" line="168"/>
        <source>The sound device went away: %1 Reading goes on; the music comes back when the device does.</source>
        <translation>音声デバイスがなくなりました: %1 読書はそのまま続けられます。デバイスが戻ると音楽も戻ります。</translation>
    </message>
    <message>
        <location filename="../reader_sound.py" line="178"/>
        <source>Music paused.</source>
        <translation>音楽を一時停止しました。</translation>
    </message>
    <message>
        <location filename="../reader_sound.py" line="180"/>
        <source>Music is off (no sound device).</source>
        <translation>音楽は止まっています（音声デバイスがありません）。</translation>
    </message>
    <message>
        <location filename="../reader_sound.py" line="185"/>
        <source>Music is off: %1 Reading goes on; the soundtrack is still prepared and plays when sound is available.</source>
        <translation>音楽は止まっています: %1 読書はそのまま続けられます。サウンドトラックは準備され、音が出せるようになると再生されます。</translation>
    </message>
    <message>
        <location filename="../reader_sound.py" line="211"/>
        <source>Regenerating scene (pages %1–%2)…</source>
        <translation>シーンを作り直しています（%1–%2 ページ）…</translation>
    </message>
    <message>
        <location filename="../reader_sound.py" line="221"/>
        <source>Regenerating page %1…</source>
        <translation>%1 ページを作り直しています…</translation>
    </message>
    <message>
        <location filename="../reader_sound.py" line="231"/>
        <source>Preparing the whole soundtrack in the background…</source>
        <translation>サウンドトラック全体をバックグラウンドで準備しています…</translation>
    </message>
</context>
<context>
    <name>StripView</name>
    <message>
        <location filename="../strip_view.py" line="289"/>
        <source>⚠  Page %1 cannot be shown</source>
        <translation>⚠  %1 ページを表示できません</translation>
    </message>
</context>
<context>
    <name>Thumbnails</name>
    <message>
        <location filename="../thumbnails.py" line="170"/>
        <source>Page %1</source>
        <translation>%1 ページ</translation>
    </message>
</context>
<context>
    <name>Wayfinder</name>
    <message>
        <location filename="../reader_finding.py" line="55"/>
        <source>Last page. Turn once more for %1.</source>
        <translation>最後のページです。もう一度めくると %1 を開きます。</translation>
    </message>
    <message>
        <location filename="../reader_finding.py" line="73"/>
        <source>Opening %1…</source>
        <translation>%1 を開いています…</translation>
    </message>
    <message>
        <location filename="../reader_finding.py" line="123"/>
        <source>Page %1 bookmarked.</source>
        <translation>%1 ページにしおりをはさみました。</translation>
    </message>
    <message>
        <location filename="../reader_finding.py" line="125"/>
        <source>Page %1 no longer bookmarked.</source>
        <translation>%1 ページのしおりを外しました。</translation>
    </message>
    <message>
        <location filename="../reader_finding.py" line="145"/>
        <source>No bookmarks in this book</source>
        <translation>この本にしおりはありません</translation>
    </message>
    <message>
        <location filename="../reader_finding.py" line="148"/>
        <source>Page %1</source>
        <translation>%1 ページ</translation>
    </message>
</context>
<context>
    <name>_EditBox</name>
    <message>
        <location filename="../soundtrack_panel.py" line="122"/>
        <source>Waiting for the analysis…</source>
        <translation>分析を待っています…</translation>
    </message>
    <message>
        <location filename="../soundtrack_panel.py" line="132"/>
        <source>Revert</source>
        <translation>元に戻す</translation>
    </message>
    <message>
        <location filename="../soundtrack_panel.py" line="167"/>
        <source>edited by you</source>
        <translation>あなたが編集</translation>
    </message>
</context>
</TS>
