//! Demo data: a realistic catalogue (directions, categories, teachers, courses with chapters and
//! lessons) and the built-in staff roles. Deterministic, so every newcomer sees the same site.
//!
//! `xuecheng seed-demo --courses N` also makes load data for benchmarks.

use anyhow::Context;
use chrono::{Duration, Utc};
use indicatif::{ProgressBar, ProgressStyle};

use crate::db::Db;
use crate::on_pool;

pub const DEFAULT_COURSES: u32 = 60;

/// More courses than this are load data: a progress bar, and the database tidied afterwards.
const BULK: u32 = 100;

/// (slug, name) of a category; (slug, name, categories) of a direction.
type CategorySeed = (&'static str, &'static str);
type DirectionSeed = (&'static str, &'static str, &'static [CategorySeed]);

const DIRECTIONS: &[DirectionSeed] = &[
    (
        "python",
        "Python",
        &[
            ("python-basics", "Python 基础"),
            ("web-django", "Django / Web"),
            ("data-analysis", "数据分析"),
        ],
    ),
    (
        "go",
        "Go",
        &[("go-basics", "Go 基础"), ("go-microservices", "微服务")],
    ),
    (
        "rust",
        "Rust",
        &[("rust-basics", "Rust 入门"), ("rust-systems", "系统编程")],
    ),
    (
        "frontend",
        "前端 Frontend",
        &[
            ("javascript", "JavaScript"),
            ("vue", "Vue"),
            ("react", "React"),
        ],
    ),
    (
        "java",
        "Java",
        &[("java-core", "Java 核心"), ("spring", "Spring")],
    ),
    (
        "devops",
        "运维 DevOps",
        &[("linux", "Linux"), ("docker-k8s", "Docker / K8s")],
    ),
];

const TEACHERS: &[(&str, &str)] = &[
    (
        "王磊 Wang Lei",
        "Senior backend engineer, 12 years of Python",
    ),
    ("李娜 Li Na", "Front-end architect"),
    ("张伟 Zhang Wei", "Go and distributed systems"),
    ("陈静 Chen Jing", "Data scientist"),
    ("刘洋 Liu Yang", "SRE and Linux trainer"),
    ("赵敏 Zhao Min", "Rust compiler contributor"),
    ("孙浩 Sun Hao", "Java and Spring specialist"),
    ("周婷 Zhou Ting", "Teaching lead"),
];

const SUBJECTS: &[&str] = &[
    "零基础入门",
    "项目实战",
    "核心原理",
    "面试精讲",
    "性能优化",
    "从入门到精通",
    "工程化实践",
    "设计模式",
    "并发编程",
    "测试驱动开发",
    "源码剖析",
    "最佳实践",
];

const LESSON_TOPICS: &[&str] = &[
    "环境搭建",
    "基本语法",
    "数据类型",
    "控制流程",
    "函数与模块",
    "错误处理",
    "单元测试",
    "调试技巧",
    "项目结构",
    "部署上线",
    "性能分析",
    "常见陷阱",
];

/// A tiny deterministic generator: the same seed gives the same catalogue everywhere.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// True when the catalogue has no course yet (first start).
pub async fn catalogue_is_empty(db: &Db) -> anyhow::Result<bool> {
    let count: i64 = on_pool!(db, pool => sqlx::query_scalar("SELECT count(*) FROM courses").fetch_one(pool).await)?;
    Ok(count == 0)
}

/// Adds `courses` demo courses (and the directions, teachers and roles they need, once).
#[tracing::instrument(skip(db))]
pub async fn seed_demo(db: &Db, courses: u32) -> anyhow::Result<()> {
    let progress = if courses > BULK {
        let bar = ProgressBar::new(u64::from(courses));
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} courses ({eta} left)")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message("Seeding");
        bar
    } else {
        ProgressBar::hidden()
    };
    on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let now = Utc::now();

        // Directions and categories: insert the missing ones, then read all ids back.
        for (d_pos, (d_slug, d_name, categories)) in DIRECTIONS.iter().enumerate() {
            sqlx::query("INSERT INTO directions (slug, name, position, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (slug) DO NOTHING")
                .bind(d_slug).bind(d_name).bind(i32::try_from(d_pos).unwrap_or(0)).bind(now)
                .execute(&mut *tx).await?;
            let direction_id: i64 = sqlx::query_scalar("SELECT id FROM directions WHERE slug = $1")
                .bind(d_slug).fetch_one(&mut *tx).await?;
            for (c_pos, (c_slug, c_name)) in categories.iter().enumerate() {
                sqlx::query("INSERT INTO categories (direction_id, slug, name, position, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (slug) DO NOTHING")
                    .bind(direction_id).bind(c_slug).bind(c_name).bind(i32::try_from(c_pos).unwrap_or(0)).bind(now)
                    .execute(&mut *tx).await?;
            }
        }
        let categories: Vec<(i64, String, String)> = sqlx::query_as("SELECT id, slug, name FROM categories ORDER BY id")
            .fetch_all(&mut *tx).await?;

        let mut teacher_ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM teachers ORDER BY id").fetch_all(&mut *tx).await?;
        if teacher_ids.is_empty() {
            for (i, (name, title)) in TEACHERS.iter().enumerate() {
                let id: i64 = sqlx::query_scalar("INSERT INTO teachers (name, title, bio, avatar_url, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
                    .bind(name).bind(title)
                    .bind(format!("{title}. Loves turning hard topics into small steps."))
                    .bind(format!("/img/avatar-{}.svg", i % 4))
                    .bind(now)
                    .fetch_one(&mut *tx).await?;
                teacher_ids.push(id);
            }
        }

        let existing: i64 = sqlx::query_scalar("SELECT count(*) FROM courses").fetch_one(&mut *tx).await?;
        let mut rng = Lcg(0x5eed_0000 + u64::try_from(existing).unwrap_or(0));
        for n in 0..courses {
            let serial = existing + i64::from(n) + 1;
            let (category_id, category_slug, category_name) = &categories[rng.below(categories.len() as u64) as usize];
            let subject = SUBJECTS[rng.below(SUBJECTS.len() as u64) as usize];
            let level = ["beginner", "intermediate", "advanced"][rng.below(3) as usize];
            // About one course in five is free; prices end in 9 as shops like them.
            let price: i64 = if rng.below(5) == 0 { 0 } else { (rng.below(40) as i64 + 1) * 1000 - 100 };
            let original: Option<i64> = (price > 0 && rng.below(2) == 0).then(|| price + (rng.below(5) as i64 + 1) * 2000);
            let title = format!("{category_name} {subject}");
            let slug = format!("{category_slug}-{serial}");
            let published_at = now - Duration::hours(rng.below(24 * 365) as i64);
            let description = format!(
                "## 你将学到 What you will learn\n\n\
                 - {category_name} 的核心概念与常用工具\n- 真实项目中的{subject}\n- 写出可测试、可维护的代码\n\n\
                 ## 适合人群 Who it is for\n\n{} learners who want to go from reading code to shipping it.\n\n\
                 > 每章都有练习与在线实验环境。 Every chapter ends with a hands-on lab.\n",
                match level { "beginner" => "New", "intermediate" => "Working", _ => "Experienced" }
            );
            let course_id: i64 = sqlx::query_scalar(
                "INSERT INTO courses (slug, title, summary, description_md, cover_url, level, price_cents, original_price_cents, \
                 status, featured, teacher_id, category_id, enrollment_count, published_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'published', $9, $10, $11, $12, $13, $13, $13) RETURNING id")
                .bind(&slug).bind(&title)
                .bind(format!("{subject}：用 {} 个真实案例掌握 {category_name}。", rng.below(20) + 5))
                .bind(description)
                .bind(format!("/img/cover-{}.svg", rng.below(6)))
                .bind(level).bind(price).bind(original)
                .bind(rng.below(6) == 0)
                .bind(teacher_ids[rng.below(teacher_ids.len() as u64) as usize])
                .bind(category_id)
                .bind(rng.below(20_000) as i64)
                .bind(published_at)
                .fetch_one(&mut *tx).await?;
            for ch in 0..(rng.below(4) + 3) {
                let chapter_id: i64 = sqlx::query_scalar("INSERT INTO chapters (course_id, title, position, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
                    .bind(course_id)
                    .bind(LESSON_TOPICS[((ch + rng.below(4)) % LESSON_TOPICS.len() as u64) as usize])
                    // i64 like the model engine binds: PostgreSQL connections cache statements by
                    // SQL text, and the engine's chapter insert has this very text.
                    .bind(ch as i64).bind(now)
                    .fetch_one(&mut *tx).await?;
                for le in 0..(rng.below(4) + 2) {
                    let kind = ["video", "video", "article", "lab"][rng.below(4) as usize];
                    sqlx::query("INSERT INTO lessons (chapter_id, title, kind, duration_secs, free_preview, position, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                        .bind(chapter_id)
                        .bind(format!("{}.{} {}", ch + 1, le + 1, LESSON_TOPICS[rng.below(LESSON_TOPICS.len() as u64) as usize]))
                        .bind(kind)
                        .bind((rng.below(40) as i64 + 3) * 60)
                        .bind(ch == 0 && le == 0)
                        .bind(le as i64).bind(now)
                        .execute(&mut *tx).await?;
                }
            }
            progress.inc(1);
        }
        seed_roles(&mut tx).await?;
        tx.commit().await?;
        Ok::<(), sqlx::Error>(())
    })
    .context("seeding demo data failed")?;
    crate::db::paths::seed_demo(db, DEMO_PATHS)
        .await
        .context("seeding demo learning paths failed")?;
    crate::db::price_policies::seed_missing(db)
        .await
        .context("seeding demo price policies failed")?;
    crate::db::coupons::seed_demo(db)
        .await
        .context("seeding the demo coupon failed")?;
    if courses > BULK {
        // Statistics for the new rows now, not when autovacuum next looks: until then
        // PostgreSQL plans the lists as if the catalogue were a few rows (a full sort instead
        // of the index), and its counts read the table instead of the index.
        crate::db::tidy_after_bulk_load(db)
            .await
            .context("analysing the demo data failed")?;
    }
    progress.finish_and_clear();
    tracing::info!(courses, "demo data loaded");
    Ok(())
}

/// Demo learning paths: (slug, title, description, the direction whose courses they take).
const DEMO_PATHS: &[(&str, &str, &str, &str)] = &[
    (
        "python-engineer",
        "Python 工程师 Python engineer",
        "从语法到 Web 与数据分析。 From the language to the web and data analysis.",
        "python",
    ),
    (
        "go-backend",
        "Go 后端 Go back end",
        "写出可靠的服务。 Services that stay up.",
        "go",
    ),
    (
        "rust-systems",
        "Rust 系统编程 Rust systems",
        "所有权、并发与性能。 Ownership, concurrency and speed.",
        "rust",
    ),
];

/// The built-in staff roles and what each may do (Django's groups).
const ROLES: &[(&str, &str, &[&str])] = &[
    (
        "Administrator",
        "Everything except superuser-only actions",
        &["%"],
    ),
    (
        "Course editor",
        "Writes and publishes courses",
        &[
            "direction.%",
            "category.%",
            "teacher.%",
            "course.%",
            "chapter.%",
            "lesson.%",
            "learning_path.%",
            "learning_path_course.%",
        ],
    ),
    (
        "Customer service",
        "Helps users and handles orders",
        &[
            "user.view",
            "user.change",
            "order.view",
            "order.refund",
            "payment.view",
            "enrollment.view",
            "enrollment.add",
            "session.end",
            "course.view",
        ],
    ),
    (
        "Operations",
        "Runs sales, hosts and jobs",
        &[
            "seckill_event.%",
            "host.%",
            "job.%",
            "notification.%",
            "order.view",
            "audit_log.view",
            "course.view",
        ],
    ),
];

async fn seed_roles<'c, DB>(tx: &mut sqlx::Transaction<'c, DB>) -> Result<(), sqlx::Error>
where
    DB: sqlx::Database,
    for<'e> &'e mut DB::Connection: sqlx::Executor<'e, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    for (name, description, patterns) in ROLES {
        sqlx::query(
            "INSERT INTO roles (name, description) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(*name)
        .bind(*description)
        .execute(&mut **tx)
        .await?;
        for pattern in *patterns {
            sqlx::query(
                "INSERT INTO role_permissions (role_id, permission_id) \
                 SELECT r.id, p.id FROM roles r, permissions p WHERE r.name = $1 AND p.codename LIKE $2 \
                 ON CONFLICT DO NOTHING",
            )
            .bind(*name)
            .bind(*pattern)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}
